/**
 * Whole-item patterns: one sticky regular expression per common item (a struct field, an attribute,
 * a command, an enum or bitmap entry, an endpoint's attribute, command or event line) in the
 * regular layout ZAP writes. A cold run (a fresh `npx mi-codegen`) executes the parser's rules
 * in V8's interpreter, where a rule costs several calls per token; one native match per item and
 * a few reads of its groups cost a fraction of that.
 *
 * A pattern only ever stands in for the token rules: where it does not match (a comment inside the
 * item, an upper-case keyword, a string with escapes, an unusual layout, an error), the parser runs
 * its token rules from the same place, and they decide, with their error messages. So a pattern
 * may refuse anything, but what it accepts must be read exactly as the token rules read it. That
 * is why every keyword is lower-case only, why names stand where the rules would take a
 * keyword only if they are no keyword in any letter case (`notKeyword`), and why blanks are the
 * lexer's blanks (space, \t, \f, \r, \n) and never `\s`. test/codegen/idl-item-patterns.test.ts
 * parses mutated samples with the patterns and without them and compares.
 *
 * Each pattern starts with the blanks before the item (group 1), so the parser can try it right
 * where the previous item ended, without reading a token first; a comment there makes it fail,
 * and the lexer, reading the next token, records the comment.
 */

const B = '[ \\t\\f\\r\\n]';
const LEAD = `(${B}*)`;
const ID = '[A-Za-z_][A-Za-z0-9_]*';
/** An integer token: `0x` + hex digits, else decimal digits (as the lexer). */
const INT = '0x[0-9A-Fa-f]+|[0-9]+';
const MATURITY = '(?:(provisional|internal|deprecated|stable)' + B + '+)?';
const PRIVILEGE = '(view|operate|manage|administer)';

/** Refuses a name that equals one of `words` in any letter case: the token rules take it as that keyword. */
function notKeyword(words: readonly string[]): string {
  const anyCase = words.map((w) => w.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`));
  return `(?!(?:${anyCase.join('|')})(?![A-Za-z0-9_]))`;
}

const MATURITY_WORDS = ['provisional', 'internal', 'deprecated', 'stable'];
const FIELD_QUALITY_WORDS = ['optional', 'nullable', 'fabric_sensitive'];

/** A field's maturity and quality run (groups: maturity, qualities), up to its type. */
const FIELD_HEAD = `${MATURITY}((?:(?:optional|nullable|fabric_sensitive)${B}+)*)`;

/**
 * A field from its type to its id (groups: type, maximum length, name, `[]`, id). `keywords`:
 * the words the rules would take as a keyword where the type stands.
 */
function fieldTail(keywords: readonly string[]): string {
  return (
    notKeyword(keywords) +
    `(${ID})(?:${B}*<${B}*(${INT})${B}*>${B}*|${B}+)(${ID})${B}*(\\[${B}*\\])?${B}*=${B}*(${INT})`
  );
}

/** `field ;` in a struct, request, response or event block. */
export const FIELD_ITEM = new RegExp(`${LEAD}(${FIELD_HEAD})${fieldTail([...MATURITY_WORDS, ...FIELD_QUALITY_WORDS])}${B}*;`, 'y');
/** FIELD_ITEM's groups; `prefix` runs from the item's first token to the type (where the rules place a field). */
export const F = { lead: 1, prefix: 2, maturity: 3, qualities: 4, type: 5, maxLength: 6, name: 7, list: 8, code: 9 } as const;

/**
 * `quality* attribute [access(op: privilege[, op: privilege])] field ;` (more access pairs are
 * left to the rules). The field's groups follow the attribute's own: FIELD_ITEM's + 5.
 */
export const ATTRIBUTE_ITEM = new RegExp(
  `${LEAD}(((?:(?:readonly|writeonly|nosubscribe|timedwrite)${B}+)*)attribute${B}+` +
    `(?:access${B}*\\(${B}*(?:(read|write)${B}*:${B}*${PRIVILEGE}${B}*(?:,${B}*(read|write)${B}*:${B}*${PRIVILEGE}${B}*)?)?\\)${B}*)?` +
    `${FIELD_HEAD})${fieldTail([...MATURITY_WORDS, ...FIELD_QUALITY_WORDS, 'access'])}${B}*;`,
  'y',
);
/** ATTRIBUTE_ITEM's own groups; `prefix` runs to the field's type; `field`: the shift of F's field groups. */
export const A = { lead: 1, prefix: 2, qualities: 3, op1: 4, privilege1: 5, op2: 6, privilege2: 7, field: 5 } as const;

/**
 * `quality* [optional] command [access(invoke: privilege)] Name([Request]): Response = id;`.
 * Groups: blanks, qualities run, optional, privilege, name, request, response, id.
 */
export const COMMAND_ITEM = new RegExp(
  `${LEAD}((?:(?:timed|fabric)${B}+)*)(?:(optional)${B}+)?command${B}+` +
    `(?:access${B}*\\(${B}*(?:invoke${B}*:${B}*${PRIVILEGE}${B}*)?\\)${B}*)?` +
    `${notKeyword(['access'])}(${ID})${B}*\\(${B}*(?:(${ID})${B}*)?\\)${B}*:${B}*(${ID})${B}*=${B}*(${INT})${B}*;`,
  'y',
);

/**
 * `[maturity] Name = id [[spec_name = "text"]];`, the string without escapes and ASCII only (so it
 * needs no decoding). Groups: blanks, maturity, name, id, spec name.
 */
export const ENTRY_ITEM = new RegExp(
  `${LEAD}${MATURITY}${notKeyword(MATURITY_WORDS)}(${ID})${B}*=${B}*(${INT})` +
    `(?:${B}*\\[${B}*spec_name${B}*=${B}*"([\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*)"${B}*\\])?${B}*;`,
  'y',
);

/**
 * An endpoint's `storage attribute name [default = value];` with an integer, negative integer,
 * true or false default. Groups: blanks, storage, name, minus sign, integer, boolean.
 */
export const STORAGE_ITEM = new RegExp(
  `${LEAD}(ram|persist|callback)${B}+attribute${B}+(${ID})` +
    `(?:${B}+default${B}*=${B}*(?:(-)?${B}*(${INT})|(true|false)(?![A-Za-z0-9_])))?${B}*;`,
  'y',
);

/** An endpoint's `handle command Name;` or `emits event Name;`. Groups: blanks, handle (else emits), name. */
export const HANDLE_OR_EMITS_ITEM = new RegExp(`${LEAD}(?:(handle)${B}+command|emits${B}+event)${B}+(${ID})${B}*;`, 'y');
