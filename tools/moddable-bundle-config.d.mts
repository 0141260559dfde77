import type { BuildOptions, Plugin } from 'esbuild';

export declare const repoRoot: string;
export declare const moddableAliases: Record<string, string>;
export declare const moddablePreludes: string[];
export declare const moddableDefines: Record<string, string>;
export declare function isModdableModule(specifier: string): boolean;
export declare function laneFakePath(specifier: string): string;
export declare function moddableModulesPlugin(target: 'moddable' | 'lane'): Plugin;
export declare function xsBuildOptions(target: 'moddable' | 'lane'): BuildOptions;
