export * from './model.js';
export { parseMatterIdl, type ParseOptions } from './parser.js';
export { idlToJson, clusterToJson, printCanonicalJson, type JsonValue } from './canonical-json.js';
