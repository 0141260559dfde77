/**
 * Recursive-descent parser for the `.matter` grammar (../shared/matter/README.md, upstream
 * matter_grammar.lark). Produces the same model as connectedhomeip's Python parser with
 * `merge_globals=True`: duplicate clusters dropped, doc comments attached, globals merged.
 */
import { Lexer, Tok, type Token } from './lexer.js';
import { mergeGlobalsIntoClusters } from './merge-globals.js';
import { canonicalClusterKey } from './canonical-json.js';
import { recordPosition } from './positions.js';
import { A, ATTRIBUTE_ITEM, COMMAND_ITEM, ENTRY_ITEM, F, FIELD_ITEM, HANDLE_OR_EMITS_ITEM, STORAGE_ITEM } from './item-patterns.js';
import {
  ATTRIBUTE_QUALITY_ORDER,
  COMMAND_QUALITY_ORDER,
  EVENT_QUALITY_ORDER,
  type AccessPrivilege,
  type ApiMaturity,
  type Attribute,
  type AttributeQuality,
  type AttributeStorage,
  type Bitmap,
  type Cluster,
  type Command,
  type CommandQuality,
  type ConstantEntry,
  type DataType,
  type DefaultValue,
  type Endpoint,
  type Enum,
  type Event,
  type EventPriority,
  type EventQuality,
  type Field,
  type FieldQuality,
  type Idl,
  type Int,
  type Struct,
} from './model.js';

interface Described {
  description: string | null;
}

/** An endpoint's `server cluster` while its block is parsed (events collected, then sorted). */
interface ServerClusterDraft {
  name: string;
  attributes: Endpoint['serverClusters'][number]['attributes'];
  commands: string[];
  events: Set<string>;
}

/** The `}` closing a block, with the blanks before it (see #closedAfterItem). */
const CLOSE = /[ \t\f\r\n]*\}/y;

// Keyword tables are Maps: a plain object would answer `in` for 'constructor' or 'toString'.
const MATURITY = new Map<string, ApiMaturity>([
  ['provisional', 'PROVISIONAL'],
  ['internal', 'INTERNAL'],
  ['deprecated', 'DEPRECATED'],
  ['stable', 'STABLE'],
]);
const PRIVILEGE = new Map<string, AccessPrivilege>([
  ['view', 'VIEW'],
  ['operate', 'OPERATE'],
  ['manage', 'MANAGE'],
  ['administer', 'ADMINISTER'],
]);
const PRIORITY = new Map<string, EventPriority>([['critical', 'CRITICAL'], ['info', 'INFO'], ['debug', 'DEBUG']]);
const STORAGE = new Map<string, AttributeStorage>([['ram', 'RAM'], ['persist', 'PERSIST'], ['callback', 'CALLBACK']]);
const ATTRIBUTE_QUALITY = new Map<string, AttributeQuality | 'WRITEONLY'>([
  ['readonly', 'READABLE'],
  ['writeonly', 'WRITEONLY'],
  ['nosubscribe', 'NOSUBSCRIBE'],
  ['timedwrite', 'TIMED_WRITE'],
]);
const COMMAND_QUALITY = new Map<string, CommandQuality>([['timed', 'TIMED_INVOKE'], ['fabric', 'FABRIC_SCOPED']]);

function ordered<T>(set: Set<T>, order: readonly T[]): T[] {
  const out: T[] = [];
  if (set.size !== 0) for (const q of order) if (set.has(q)) out.push(q);
  return out;
}

/*
 * Nodes with an id (`code`) are made by these functions only, one object shape each, and each is
 * first called below with a bigint id. V8 tracks how a shape's fields are stored: ids start as
 * small integers, and the first id beyond the 31-bit small-integer range (a vendor attribute such
 * as 4294048773) switched `code` to a double field, which migrated every node made before it to a
 * new shape (5,221 objects for controller-clusters). After a bigint (ids beyond 2^53 are bigints)
 * the field holds any value as a tagged pointer, and no later id changes the shape.
 */
function fieldNode(code: Int, name: string, type: DataType, isList: boolean, qualities: FieldQuality[], apiMaturity: ApiMaturity): Field {
  return { code, name, type, isList, qualities, apiMaturity, description: null };
}

function entryNode(name: string, code: Int, apiMaturity: ApiMaturity, specName: string | null): ConstantEntry {
  return { name, code, apiMaturity, specName, description: null };
}

function clusterNode(code: Int, name: string, apiMaturity: ApiMaturity): Cluster {
  return {
    code, name, revision: 1, apiMaturity, description: null,
    enums: [], bitmaps: [], structs: [], attributes: [], commands: [], events: [],
  };
}

function commandNode(
  code: Int, name: string, input: string | null, output: string, qualities: CommandQuality[], invokeAcl: AccessPrivilege,
): Command {
  return { code, name, input, output, qualities, invokeAcl, apiMaturity: 'STABLE', description: null };
}

function eventNode(code: Int, name: string, priority: EventPriority, readAcl: AccessPrivilege, qualities: EventQuality[], fields: Field[]): Event {
  return { code, name, priority, readAcl, qualities, apiMaturity: 'STABLE', description: null, fields };
}

fieldNode(0n, '', { name: '' }, false, [], 'STABLE');
entryNode('', 0n, 'STABLE', null);
clusterNode(0n, '', 'STABLE');
commandNode(0n, '', null, '', [], 'OPERATE');
eventNode(0n, '', 'INFO', 'VIEW', [], []);

export interface ParseOptions {
  /** Upstream's default is true: clusters get copies of the global types they reference. */
  mergeGlobals?: boolean;
  /**
   * false: parse every item with the token rules alone, without the whole-item patterns of
   * item-patterns.ts. Same result, slower; tests compare the two.
   */
  itemPatterns?: boolean;
}

export function parseMatterIdl(text: string, file: string, options: ParseOptions = {}): Idl {
  return new Parser(text, file, options.itemPatterns ?? true).parse(options.mergeGlobals ?? true);
}

class Parser {
  readonly #lexer: Lexer;
  /** The current token (the lexer's one token object); read it through #tok. */
  readonly #current: Token;
  /**
   * Items a doc comment describes, with the offset their rule starts at, per cluster. Only items
   * with a doc comment at their start are kept: the comment precedes the item, so the lexer has
   * met it by the time the item is parsed.
   */
  #anchors = new Map<Cluster, Array<{ pos: number; item: Described }>>();
  #clusterAnchors: Array<{ pos: number; item: Described }> = [];
  /** Where each cluster's rule starts (for the duplicate-cluster error). */
  #clusterStarts = new Map<Cluster, number>();
  /**
   * True after an item pattern took an item (or a loop's closing brace): the lexer stands after it
   * and the next token is not read yet. #tok reads it on first use.
   */
  #pending = false;

  readonly #itemPatterns: boolean;

  constructor(text: string, file: string, itemPatterns: boolean) {
    this.#itemPatterns = itemPatterns;
    this.#lexer = new Lexer(text, file);
    this.#current = this.#lexer.next();
  }

  get #tok(): Token {
    if (this.#pending) {
      this.#pending = false;
      this.#lexer.next();
    }
    return this.#current;
  }

  parse(mergeGlobals: boolean): Idl {
    const idl: Idl = { globalEnums: [], globalBitmaps: [], globalStructs: [], clusters: [], endpoints: [] };
    const globalKinds = new Map<string, string>();
    while (this.#tok.kind !== Tok.Eof) {
      this.#clusterAnchors = []; // top-level types take no doc comments upstream
      const start = this.#tok.start;
      const w = this.#word();
      if (w === 'endpoint') idl.endpoints.push(this.#endpoint());
      else if (w === 'cluster' || MATURITY.has(w) || this.#isExact('client') || this.#isExact('server')) {
        idl.clusters.push(this.#cluster(start));
      } else if (w === 'enum' || w === 'bitmap' || w === 'struct' || w === 'shared' || w === 'fabric_scoped') {
        const type = this.#typeDefinition(start);
        // As upstream: `attribute Foo foo` could not tell a global enum Foo from a global bitmap Foo.
        const other = globalKinds.get(type.name);
        if (other !== undefined && other !== type.kind) {
          throw this.#lexer.error(start, `found global ${type.kind} ${type.name}, expected a name no other global type has (a global ${other} ${type.name} exists)`);
        }
        globalKinds.set(type.name, type.kind);
        if (type.kind === 'enum') idl.globalEnums.push({ ...type, isGlobal: true });
        else if (type.kind === 'bitmap') idl.globalBitmaps.push({ ...type, isGlobal: true });
        else idl.globalStructs.push({ ...type, isGlobal: true });
      } else {
        throw this.#expected('struct, enum, bitmap, cluster or endpoint');
      }
    }
    idl.clusters = this.#dropDuplicateClusters(idl.clusters);
    this.#applyDocComments(idl.clusters);
    return mergeGlobals ? mergeGlobalsIntoClusters(idl) : idl;
  }

  // ---- token helpers ------------------------------------------------------------------------

  /** Moves to the next token; returns the text of the one left behind. */
  #advance(): string {
    const text = this.#tok.text;
    this.#lexer.next();
    return text;
  }

  /** The current token as a lower-cased word, or '' when it is not an identifier. */
  #word(): string {
    const t = this.#tok;
    if (t.kind !== Tok.Id) return '';
    return (t.lower ??= t.text.toLowerCase());
  }

  #isExact(word: string): boolean {
    return this.#tok.kind === Tok.Id && this.#tok.text === word;
  }

  #describe(t: Token): string {
    switch (t.kind) {
      case Tok.Eof: return 'end of file';
      case Tok.Str: return `string ${JSON.stringify(t.text)}`;
      case Tok.Int: return `number ${t.text}`;
      case Tok.Punct: return `'${t.text}'`;
      default: return `'${t.text}'`;
    }
  }

  #expected(what: string, t: Token = this.#tok) {
    return this.#lexer.error(t.start, `found ${this.#describe(t)}, expected ${what}`);
  }

  /** Consumes a keyword; case-insensitive unless `exact`. */
  #keyword(word: string, exact = false): string {
    const t = this.#tok;
    if (t.kind !== Tok.Id || (exact ? t.text !== word : this.#word() !== word)) {
      throw this.#expected(`'${word}'`);
    }
    return this.#advance();
  }

  #acceptKeyword(word: string, exact = false): boolean {
    const t = this.#tok;
    if (t.kind === Tok.Id && (exact ? t.text === word : this.#word() === word)) {
      this.#advance();
      return true;
    }
    return false;
  }

  #punct(c: string): string {
    if (this.#tok.kind !== Tok.Punct || this.#tok.text !== c) throw this.#expected(`'${c}'`);
    return this.#advance();
  }

  #acceptPunct(c: string): boolean {
    if (this.#tok.kind === Tok.Punct && this.#tok.text === c) {
      this.#advance();
      return true;
    }
    return false;
  }

  #id(what = 'a name'): string {
    if (this.#tok.kind !== Tok.Id) throw this.#expected(what);
    return this.#advance();
  }

  #int(what = 'an integer'): Int {
    if (this.#tok.kind !== Tok.Int) throw this.#expected(what);
    return toInt(this.#advance());
  }

  #maturity(): ApiMaturity | null {
    const m = MATURITY.get(this.#word());
    if (m === undefined) return null;
    this.#advance();
    return m;
  }

  #privilege(): AccessPrivilege {
    const p = PRIVILEGE.get(this.#word());
    if (p === undefined) throw this.#expected('a privilege (view, operate, manage or administer)');
    this.#advance();
    return p;
  }

  // ---- types --------------------------------------------------------------------------------

  /** `[shared] enum|bitmap Name : base { entries }` or `[shared] fabric_scoped* struct Name { fields }`. */
  #typeDefinition(start: number): Enum | Bitmap | Struct {
    const isShared = this.#acceptKeyword('shared');
    const w = this.#word();
    if (w === 'enum' || w === 'bitmap') {
      this.#advance();
      const name = this.#id('a type name');
      this.#punct(':');
      const baseType = this.#id('a base type');
      this.#punct('{');
      const entries: ConstantEntry[] = [];
      const take = () => this.#matchedEntryItem(entries);
      while (this.#atTokenItem(take)) entries.push(this.#constantEntry());
      const common = { name, baseType, isGlobal: false, isShared, apiMaturity: 'STABLE' as ApiMaturity, description: null, entries };
      const type: Enum | Bitmap = w === 'enum' ? { kind: 'enum', ...common } : { kind: 'bitmap', ...common };
      this.#anchor(start, type);
      return type;
    }
    let fabricScoped = false;
    while (this.#acceptKeyword('fabric_scoped')) fabricScoped = true;
    if (w !== 'struct' && w !== 'fabric_scoped') {
      throw this.#expected(isShared ? "'enum', 'bitmap', 'fabric_scoped' or 'struct'" : "'struct'");
    }
    this.#keyword('struct');
    const name = this.#id('a struct name');
    const fields = this.#fieldBlock();
    const struct: Struct = {
      kind: 'struct', name, tag: null, code: null, qualities: fabricScoped ? ['FABRIC_SCOPED'] : [],
      isGlobal: false, isShared, apiMaturity: 'STABLE', description: null, fields,
    };
    this.#anchor(start, struct);
    return struct;
  }

  #constantEntry(): ConstantEntry {
    const start = this.#tok.start;
    const apiMaturity = this.#maturity() ?? 'STABLE';
    const name = this.#id('an entry name or }');
    this.#punct('=');
    const code = this.#int();
    let specName: string | null = null;
    if (this.#acceptPunct('[')) {
      this.#keyword('spec_name', true);
      this.#punct('=');
      if (this.#tok.kind !== Tok.Str) throw this.#expected('a string');
      specName = this.#advance();
      this.#punct(']');
    }
    this.#punct(';');
    const entry = entryNode(name, code, apiMaturity, specName);
    this.#anchor(start, entry);
    return entry;
  }

  /** `{ (field ;)* }` */
  #fieldBlock(): Field[] {
    this.#punct('{');
    const fields: Field[] = [];
    const take = () => this.#matchedFieldItem(fields);
    while (this.#atTokenItem(take)) {
      fields.push(this.#structField());
      this.#punct(';');
    }
    return fields;
  }

  /**
   * Before each item of a `{ … }` block: `take` (the block's item patterns, which push what they
   * match) takes items while it can. Then false at the closing `}` (consumed), or true: the next
   * item is for the token rules.
   */
  #atTokenItem(take: () => boolean): boolean {
    for (;;) {
      if (take()) continue;
      if (this.#closedAfterItem()) return false;
      if (this.#resumedAfterComments() && take()) continue;
      return !this.#acceptPunct('}');
    }
  }

  #matchedFieldItem(fields: Field[]): boolean {
    const m = this.#matchItem(FIELD_ITEM);
    if (m === null) return false;
    fields.push(this.#matchedField(m, 0));
    this.#matched(FIELD_ITEM);
    return true;
  }

  #matchedEntryItem(entries: ConstantEntry[]): boolean {
    const m = this.#matchItem(ENTRY_ITEM);
    if (m === null) return false;
    const maturity = m[2];
    const entry = entryNode(m[3]!, toInt(m[4]!), maturity === undefined ? 'STABLE' : MATURITY.get(maturity)!, m[5] ?? null);
    this.#anchor(m.index + m[1]!.length, entry);
    entries.push(entry);
    this.#matched(ENTRY_ITEM);
    return true;
  }

  /**
   * `pattern`'s match of the next item (see item-patterns.ts), reading no token: where the last
   * matched item ended, else at the current token if it is an identifier. Null: see #atTokenItem.
   */
  #matchItem(pattern: RegExp): RegExpExecArray | null {
    if (!this.#itemPatterns) return null;
    if (this.#pending) pattern.lastIndex = this.#lexer.pos;
    else if (this.#current.kind === Tok.Id) pattern.lastIndex = this.#current.start;
    else return null;
    return pattern.exec(this.#lexer.narrow);
  }

  /** Continues after the item `pattern` matched, without reading the next token yet. */
  #matched(pattern: RegExp): void {
    this.#lexer.pos = pattern.lastIndex;
    this.#pending = true;
  }

  /** Consumes the `}` that closes a block right after a matched item, reading no token. */
  #closedAfterItem(): boolean {
    if (!this.#pending) return false;
    CLOSE.lastIndex = this.#lexer.pos;
    if (!CLOSE.test(this.#lexer.narrow)) return false;
    this.#lexer.pos = CLOSE.lastIndex;
    return true;
  }

  /**
   * Reads the token after a matched item when no pattern matched there. True when comments came
   * first and the token is an identifier: the patterns may match at it (the lexer has recorded the
   * comments).
   */
  #resumedAfterComments(): boolean {
    if (!this.#pending) return false;
    const t = this.#tok;
    return this.#lexer.afterComment && t.kind === Tok.Id;
  }

  /**
   * #structField's result from a FIELD_ITEM or ATTRIBUTE_ITEM match. `g` shifts F's field groups
   * (0, or A.field for an attribute); both patterns keep the blanks and the prefix up to the type in
   * groups 1 and 2, so the field starts where the rules would place it.
   */
  #matchedField(m: RegExpExecArray, g: number): Field {
    const run = m[F.qualities + g]!;
    const qualities: FieldQuality[] = [];
    if (run !== '') {
      if (run.includes('optional')) qualities.push('OPTIONAL');
      if (run.includes('nullable')) qualities.push('NULLABLE');
      if (run.includes('fabric_sensitive')) qualities.push('FABRIC_SENSITIVE');
    }
    const type: Field['type'] = { name: m[F.type + g]! };
    const maxLength = m[F.maxLength + g];
    if (maxLength !== undefined) type.maxLength = toInt(maxLength);
    const maturity = m[F.maturity + g];
    const apiMaturity = maturity === undefined ? 'STABLE' : MATURITY.get(maturity)!;
    const field = fieldNode(toInt(m[F.code + g]!), m[F.name + g]!, type, m[F.list + g] !== undefined, qualities, apiMaturity);
    const start = m.index + m[F.lead]!.length + m[F.prefix]!.length;
    recordPosition(field, this.#lexer, start);
    this.#anchor(start, field);
    return field;
  }

  /** `[maturity] (optional|nullable|fabric_sensitive)* Type[<N>] name[[]] = code` */
  #structField(): Field {
    const apiMaturity = this.#maturity() ?? 'STABLE';
    let optional = false;
    let nullable = false;
    let fabricSensitive = false;
    for (;;) {
      const w = this.#word();
      if (w === 'optional') optional = true;
      else if (w === 'nullable') nullable = true;
      else if (this.#isExact('fabric_sensitive')) fabricSensitive = true;
      else break;
      this.#advance();
    }
    // Flag order of upstream's FieldQuality: OPTIONAL, NULLABLE, FABRIC_SENSITIVE.
    const qualities: FieldQuality[] = [];
    if (optional) qualities.push('OPTIONAL');
    if (nullable) qualities.push('NULLABLE');
    if (fabricSensitive) qualities.push('FABRIC_SENSITIVE');
    // Upstream attaches positions to the `field` rule, which starts at the type.
    const start = this.#tok.start;
    const typeName = this.#id('a field type');
    const type: Field['type'] = { name: typeName };
    if (this.#acceptPunct('<')) {
      type.maxLength = this.#int('a maximum length');
      this.#punct('>');
    }
    const name = this.#id('a field name');
    let isList = false;
    if (this.#acceptPunct('[')) {
      this.#punct(']');
      isList = true;
    }
    this.#punct('=');
    const code = this.#int('a field id');
    const field = fieldNode(code, name, type, isList, qualities, apiMaturity);
    recordPosition(field, this.#lexer, start);
    this.#anchor(start, field);
    return field;
  }

  // ---- clusters -----------------------------------------------------------------------------

  #cluster(start: number): Cluster {
    this.#clusterAnchors = [];
    const apiMaturity = this.#maturity() ?? 'STABLE';
    if (!this.#acceptKeyword('client', true)) this.#acceptKeyword('server', true);
    this.#keyword('cluster');
    const name = this.#id('a cluster name');
    this.#punct('=');
    const code = this.#int('a cluster id');
    this.#punct('{');
    const cluster = clusterNode(code, name, apiMaturity);
    this.#anchor(start, cluster);
    this.#clusterStarts.set(cluster, start);
    if (this.#word() === 'revision') {
      // Doc comments on `revision` go nowhere: no other item starts where it does.
      this.#advance();
      cluster.revision = this.#int('a revision number');
      this.#punct(';');
    }
    const take = () => this.#matchedClusterItem(cluster);
    while (this.#atTokenItem(take)) this.#clusterItem(cluster);
    this.#anchors.set(cluster, this.#clusterAnchors);
    return cluster;
  }

  #clusterItem(cluster: Cluster): void {
    const maturity = this.#maturity();
    const start = this.#tok.start;
    const w = this.#word();
    if (w === 'enum' || w === 'bitmap' || w === 'struct' || w === 'shared' || w === 'fabric_scoped') {
      const type = this.#typeDefinition(start);
      if (maturity) type.apiMaturity = maturity;
      if (type.kind === 'enum') cluster.enums.push(type);
      else if (type.kind === 'bitmap') cluster.bitmaps.push(type);
      else cluster.structs.push(type);
    } else if (w === 'request') {
      this.#advance();
      const typeStart = this.#tok.start;
      const w2 = this.#word();
      if (w2 !== 'struct' && w2 !== 'shared' && w2 !== 'fabric_scoped') throw this.#expected("'struct'");
      const struct = this.#typeDefinition(typeStart) as Struct;
      struct.tag = 'REQUEST';
      if (maturity) struct.apiMaturity = maturity;
      cluster.structs.push(struct);
    } else if (w === 'response') {
      this.#advance();
      this.#keyword('struct');
      const name = this.#id('a struct name');
      this.#punct('=');
      const code = this.#int('a response id');
      const fields = this.#fieldBlock();
      const struct: Struct = {
        kind: 'struct', name, tag: 'RESPONSE', code, qualities: [], isGlobal: false, isShared: false,
        apiMaturity: maturity ?? 'STABLE', description: null, fields,
      };
      this.#anchor(start, struct);
      cluster.structs.push(struct);
    } else if (ATTRIBUTE_QUALITY.has(w) || w === 'attribute') {
      const attribute = this.#attribute(start);
      if (maturity) attribute.apiMaturity = maturity;
      cluster.attributes.push(attribute);
    } else if (COMMAND_QUALITY.has(w) || w === 'command' || w === 'optional') {
      const command = this.#command(start);
      if (maturity) command.apiMaturity = maturity;
      cluster.commands.push(command);
    } else if (PRIORITY.has(w) || this.#isExact('fabric_sensitive')) {
      const event = this.#event(start);
      if (maturity) event.apiMaturity = maturity;
      cluster.events.push(event);
    } else {
      throw this.#expected(
        maturity
          ? 'enum, bitmap, struct, attribute, command or event'
          : 'enum, bitmap, struct, attribute, command, event or }',
      );
    }
  }

  /** An attribute or command without maturity taken whole by its item pattern; false if not. */
  #matchedClusterItem(cluster: Cluster): boolean {
    let m = this.#matchItem(ATTRIBUTE_ITEM);
    if (m !== null) {
      const run = m[A.qualities]!;
      const readonly = run !== '' && run.includes('readonly');
      const writeonly = run !== '' && run.includes('writeonly');
      const qualities: AttributeQuality[] = [];
      // As #attribute, in ATTRIBUTE_QUALITY_ORDER: READABLE, WRITABLE, NOSUBSCRIBE, TIMED_WRITE.
      if (readonly || !writeonly) qualities.push('READABLE');
      if (writeonly || !readonly) qualities.push('WRITABLE');
      if (run !== '' && run.includes('nosubscribe')) qualities.push('NOSUBSCRIBE');
      if (run !== '' && run.includes('timedwrite')) qualities.push('TIMED_WRITE');
      let readAcl: AccessPrivilege = 'VIEW';
      let writeAcl: AccessPrivilege = 'OPERATE';
      // Pairs in order: a later one for the same operation wins, as in #attribute.
      if (m[A.op1] === 'read') readAcl = PRIVILEGE.get(m[A.privilege1]!)!;
      else if (m[A.op1] === 'write') writeAcl = PRIVILEGE.get(m[A.privilege1]!)!;
      if (m[A.op2] === 'read') readAcl = PRIVILEGE.get(m[A.privilege2]!)!;
      else if (m[A.op2] === 'write') writeAcl = PRIVILEGE.get(m[A.privilege2]!)!;
      const definition = this.#matchedField(m, A.field);
      // No doc comment can sit at the definition's own start (inside the item): the attribute's lands on it.
      this.#anchor(m.index + m[A.lead]!.length, definition);
      cluster.attributes.push({ definition, qualities, readAcl, writeAcl, apiMaturity: 'STABLE' });
      this.#matched(ATTRIBUTE_ITEM);
      return true;
    }
    m = this.#matchItem(COMMAND_ITEM);
    if (m !== null) {
      const run = m[2]!;
      const qualities: CommandQuality[] = [];
      if (run !== '' && run.includes('timed')) qualities.push('TIMED_INVOKE');
      if (run !== '' && run.includes('fabric')) qualities.push('FABRIC_SCOPED');
      if (m[3] !== undefined) qualities.push('OPTIONAL');
      const privilege = m[4];
      const command = commandNode(toInt(m[8]!), m[5]!, m[6] ?? null, m[7]!, qualities, privilege === undefined ? 'OPERATE' : PRIVILEGE.get(privilege)!);
      const start = m.index + m[1]!.length;
      this.#anchor(start, command);
      recordPosition(command, this.#lexer, start);
      cluster.commands.push(command);
      this.#matched(COMMAND_ITEM);
      return true;
    }
    return false;
  }

  #attribute(start: number): Attribute {
    const qualities = new Set<AttributeQuality>();
    let readonly = false;
    let writeonly = false;
    for (;;) {
      const q = ATTRIBUTE_QUALITY.get(this.#word());
      if (q === undefined) break;
      this.#advance();
      if (q === 'READABLE') readonly = true;
      else if (q === 'WRITEONLY') writeonly = true;
      else qualities.add(q);
    }
    this.#keyword('attribute');
    let readAcl: AccessPrivilege = 'VIEW';
    let writeAcl: AccessPrivilege = 'OPERATE';
    if (this.#word() === 'access') {
      this.#advance();
      this.#punct('(');
      if (!this.#acceptPunct(')')) {
        do {
          const op = this.#word();
          if (op !== 'read' && op !== 'write') throw this.#expected("'read' or 'write'");
          this.#advance();
          this.#punct(':');
          if (op === 'read') readAcl = this.#privilege();
          else writeAcl = this.#privilege();
        } while (this.#acceptPunct(','));
        this.#punct(')');
      }
    }
    const definition = this.#structField();
    this.#punct(';');
    if (readonly) qualities.add('READABLE');
    if (writeonly) qualities.add('WRITABLE');
    if (!readonly && !writeonly) {
      qualities.add('READABLE');
      qualities.add('WRITABLE');
    }
    // The attribute's doc comment lands on its definition (upstream overwrites the field's position).
    this.#reanchor(definition, start);
    return { definition, qualities: ordered(qualities, ATTRIBUTE_QUALITY_ORDER), readAcl, writeAcl, apiMaturity: 'STABLE' };
  }

  #command(start: number): Command {
    const qualities = new Set<CommandQuality>();
    for (;;) {
      const q = COMMAND_QUALITY.get(this.#word());
      if (q === undefined) break;
      this.#advance();
      qualities.add(q);
    }
    if (this.#acceptKeyword('optional')) qualities.add('OPTIONAL');
    this.#keyword('command');
    let invokeAcl: AccessPrivilege = 'OPERATE';
    if (this.#word() === 'access') {
      this.#advance();
      this.#punct('(');
      if (!this.#acceptPunct(')')) {
        this.#keyword('invoke');
        this.#punct(':');
        invokeAcl = this.#privilege();
        this.#punct(')');
      }
    }
    const name = this.#id('a command name');
    this.#punct('(');
    let input: string | null = null;
    if (!this.#acceptPunct(')')) {
      input = this.#id('a request struct name or )');
      this.#punct(')');
    }
    this.#punct(':');
    const output = this.#id('a response struct name');
    this.#punct('=');
    const code = this.#int('a command id');
    this.#punct(';');
    const command = commandNode(code, name, input, output, ordered(qualities, COMMAND_QUALITY_ORDER), invokeAcl);
    this.#anchor(start, command);
    recordPosition(command, this.#lexer, start);
    return command;
  }

  #event(start: number): Event {
    const qualities = new Set<EventQuality>();
    while (this.#acceptKeyword('fabric_sensitive', true)) qualities.add('FABRIC_SENSITIVE');
    const priority = PRIORITY.get(this.#word());
    if (priority === undefined) throw this.#expected("an event priority ('critical', 'info' or 'debug')");
    this.#advance();
    if (this.#acceptKeyword('optional')) qualities.add('OPTIONAL');
    this.#keyword('event', true);
    let readAcl: AccessPrivilege = 'VIEW';
    if (this.#isExact('access')) {
      this.#advance();
      this.#punct('(');
      if (!this.#acceptPunct(')')) {
        this.#keyword('read', true);
        this.#punct(':');
        readAcl = this.#privilege();
        this.#punct(')');
      }
    }
    const name = this.#id('an event name');
    this.#punct('=');
    const code = this.#int('an event id');
    const fields = this.#fieldBlock();
    const event = eventNode(code, name, priority, readAcl, ordered(qualities, EVENT_QUALITY_ORDER), fields);
    this.#anchor(start, event);
    return event;
  }

  // ---- endpoints ----------------------------------------------------------------------------

  #endpoint(): Endpoint {
    this.#keyword('endpoint');
    const endpoint: Endpoint = { number: this.#int('an endpoint number'), deviceTypes: [], clientBindings: [], serverClusters: [] };
    this.#punct('{');
    while (!this.#acceptPunct('}')) {
      const w = this.#word();
      if (this.#isExact('device')) {
        this.#advance();
        this.#keyword('type', true);
        const name = this.#id('a device type name');
        this.#punct('=');
        const code = this.#int('a device type id');
        this.#punct(',');
        this.#keyword('version', true);
        const version = this.#int('a device type version');
        this.#punct(';');
        endpoint.deviceTypes.push({ name, code, version });
      } else if (w === 'binding') {
        this.#advance();
        this.#keyword('cluster');
        endpoint.clientBindings.push(this.#id('a cluster name'));
        this.#punct(';');
      } else if (w === 'server') {
        this.#advance();
        this.#keyword('cluster');
        const name = this.#id('a cluster name');
        const instance: ServerClusterDraft = { name, attributes: [], commands: [], events: new Set<string>() };
        this.#punct('{');
        const take = () => this.#matchedEndpointItem(instance);
        while (this.#atTokenItem(take)) {
          const e = this.#word();
          if (e === 'emits') {
            this.#advance();
            this.#keyword('event');
            instance.events.add(this.#id('an event name'));
            this.#punct(';');
          } else if (e === 'handle') {
            this.#advance();
            this.#keyword('command');
            instance.commands.push(this.#id('a command name'));
            this.#punct(';');
          } else if (STORAGE.has(e)) {
            this.#advance();
            this.#keyword('attribute');
            const attrName = this.#id('an attribute name');
            let value: DefaultValue = null;
            if (this.#acceptKeyword('default')) {
              this.#punct('=');
              value = this.#defaultValue();
            }
            this.#punct(';');
            instance.attributes.push({ name: attrName, storage: STORAGE.get(e)!, default: value });
          } else {
            throw this.#expected("'ram', 'persist', 'callback', 'handle', 'emits' or }");
          }
        }
        endpoint.serverClusters.push({
          name: instance.name, attributes: instance.attributes, commands: instance.commands,
          eventsEmitted: [...instance.events].sort(),
        });
      } else {
        throw this.#expected("'device type', 'binding cluster', 'server cluster' or }");
      }
    }
    return endpoint;
  }

  /** An endpoint's storage attribute, handled command or emitted event taken whole by its item pattern. */
  #matchedEndpointItem(instance: ServerClusterDraft): boolean {
    const storage = this.#matchItem(STORAGE_ITEM);
    if (storage !== null) {
      const digits = storage[5];
      let value: DefaultValue = null;
      if (digits !== undefined) value = storage[4] === undefined ? toInt(digits) : negative(toInt(digits));
      else if (storage[6] !== undefined) value = storage[6] === 'true';
      instance.attributes.push({ name: storage[3]!, storage: STORAGE.get(storage[2]!)!, default: value });
      this.#matched(STORAGE_ITEM);
      return true;
    }
    const handled = this.#matchItem(HANDLE_OR_EMITS_ITEM);
    if (handled === null) return false;
    if (handled[2] === undefined) instance.events.add(handled[3]!);
    else instance.commands.push(handled[3]!);
    this.#matched(HANDLE_OR_EMITS_ITEM);
    return true;
  }

  #defaultValue(): DefaultValue {
    const t = this.#tok;
    if (t.kind === Tok.Int) return this.#int();
    if (t.kind === Tok.Str) return this.#advance();
    if (this.#acceptPunct('-')) {
      return negative(this.#int('an integer after -'));
    }
    const w = this.#word();
    if (w === 'true' || w === 'false') {
      this.#advance();
      return w === 'true';
    }
    throw this.#expected('a default value (integer, string, true or false)');
  }

  // ---- whole-file steps ---------------------------------------------------------------------

  #anchor(pos: number, item: Described): void {
    if (this.#lexer.docComments.has(pos)) this.#clusterAnchors.push({ pos, item });
  }

  /** `item` takes the doc comment at `pos` instead of the one at its own start. */
  #reanchor(item: Described, pos: number): void {
    const anchors = this.#clusterAnchors;
    for (let i = anchors.length - 1; i >= 0; i--) {
      if (anchors[i]!.item === item) {
        anchors.splice(i, 1);
        break;
      }
    }
    this.#anchor(pos, item);
  }

  /** ZAP may emit a cluster twice; upstream keeps the first when both are identical and fails otherwise. */
  #dropDuplicateClusters(clusters: Cluster[]): Cluster[] {
    const byCode = new Map<string, { cluster: Cluster; key?: string }>();
    const kept: Cluster[] = [];
    for (const cluster of clusters) {
      const code = String(cluster.code);
      const first = byCode.get(code);
      if (first === undefined) {
        byCode.set(code, { cluster });
        kept.push(cluster);
        continue;
      }
      // Only duplicates pay for the structural comparison.
      first.key ??= canonicalClusterKey(first.cluster);
      if (first.key !== canonicalClusterKey(cluster)) {
        throw this.#lexer.error(
          this.#clusterStarts.get(cluster)!,
          `found a second, different definition of cluster ${cluster.name} (${code}), expected it to be identical to the first (${first.cluster.name})`,
        );
      }
    }
    return kept;
  }

  #applyDocComments(clusters: Cluster[]): void {
    const docs = this.#lexer.docComments;
    if (docs.size === 0) return;
    for (const cluster of clusters) {
      for (const { pos, item } of this.#anchors.get(cluster)!) item.description = docs.get(pos)!;
    }
  }
}

function negative(v: Int): Int {
  return typeof v === 'bigint' ? -v : v === 0 ? 0 : -v;
}

function toInt(digits: string): Int {
  // Below 16 characters both forms are exact as a double (at most 15 decimal or 13 hex digits);
  // Number() reads `0x…` too, without the BigInt the longer ones need.
  if (digits.length < 16) return Number(digits);
  const big = BigInt(digits);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}
