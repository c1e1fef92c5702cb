/**
 * The filter expression language (spec FILTERS.md §1): a tokenizer and a recursive-descent parser producing a
 * syntax tree, and {@link formatFilter}, which prints a tree back in canonical form (parse ∘ format is the identity
 * on trees, which the property tests check).
 *
 * ```
 * filter      := expression ( "|" expression )*
 * expression  := action "ItemID" "WHERE" condition ( ("AND" | "OR") condition )* [ if_clause ]
 * condition   := dataset "." field op rhs
 * if_clause   := "IF" "CurrentUser." field op rhs ( "AND" "CurrentUser." field op rhs )*
 * rhs         := "(" value ("," value)* ")" | "(" "$"NAME ")" | "$"NAME | number
 * value       := '"' chars '"' | "*"
 * ```
 *
 * Choices where Personalize's documentation is silent:
 * - Keywords, dataset names and field names are case-insensitive (AWS's own demos use `INTERACTIONS.event_type`);
 *   dataset names are normalised to `Items` / `Interactions` / `Users` and field names to upper case. Parameter
 *   names and values keep their case.
 * - `AND` binds tighter than `OR`, as in SQL: `a OR b AND c` is `a OR (b AND c)`. The tree keeps this as a
 *   disjunction of conjunctions.
 * - Inside a quoted value, `\"` and `\\` stand for `"` and `\`.
 * - `"*"` and a bare `*` are the same "every event type" value.
 */
import { invalidInput } from '../../errors';

export type FilterAction = 'INCLUDE' | 'EXCLUDE';
export type FilterDataset = 'Items' | 'Interactions' | 'Users';
export type FilterOperator = 'IN' | 'NOT IN' | '=' | '!=' | '<' | '<=' | '>' | '>=';

export type FilterRhs =
  /** Literal values; `'*'` in `values` with `wildcard` set is the every-event-type value. */
  | { readonly kind: 'values'; readonly values: readonly FilterLiteral[] }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'number'; readonly value: number };

export type FilterLiteral =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'wildcard' };

export interface FilterCondition {
  readonly dataset: FilterDataset;
  /** Upper case. */
  readonly field: string;
  readonly op: FilterOperator;
  readonly rhs: FilterRhs;
}

export interface UserCondition {
  /** Upper case. */
  readonly field: string;
  readonly op: FilterOperator;
  readonly rhs: FilterRhs;
}

export interface FilterStatement {
  readonly action: FilterAction;
  /** OR of ANDs: the statement matches an item when every condition of at least one group does. */
  readonly where: readonly (readonly FilterCondition[])[];
  /** The trailing `IF CurrentUser…` conditions (all must hold for the statement to apply); empty when absent. */
  readonly when: readonly UserCondition[];
}

export interface FilterTree {
  readonly statements: readonly FilterStatement[];
}

type TokenKind = 'word' | 'string' | 'number' | 'param' | 'symbol' | 'end';

interface Token {
  readonly kind: TokenKind;
  /** Words keep their spelling; strings are unescaped; symbols are the symbol text. */
  readonly text: string;
  readonly at: number;
}

const SYMBOLS = ['<=', '>=', '!=', '=', '<', '>', '(', ')', ',', '|', '.', '*'] as const;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/y;
const PARAM = /\$([A-Za-z0-9_]+)/y;

/** An `InvalidInputException` naming the 1-based column where parsing stopped and what was expected there. */
function syntaxError(source: string, at: number, message: string): Error {
  const shown = at >= source.length ? 'end of expression' : `'${source.slice(at, at + 20)}'`;
  return invalidInput(
    `Invalid filter expression: ${message} at position ${at + 1} (near ${shown}). Expected form: ` +
      'INCLUDE|EXCLUDE ItemID WHERE Dataset.FIELD IN ("value", …) [AND|OR …] [IF CurrentUser.FIELD …] [| …].',
  );
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw syntaxError(source, i, 'unterminated string');
        const d = source[j] as string;
        if (d === '"') break;
        if (d === '\\' && (source[j + 1] === '"' || source[j + 1] === '\\')) {
          value += source[j + 1];
          j += 2;
          continue;
        }
        value += d;
        j++;
      }
      tokens.push({ kind: 'string', text: value, at: i });
      i = j + 1;
      continue;
    }
    if (c === '$') {
      PARAM.lastIndex = i;
      const m = PARAM.exec(source);
      if (m === null) throw syntaxError(source, i, 'a parameter name ($ followed by letters, digits or _)');
      tokens.push({ kind: 'param', text: m[1] as string, at: i });
      i += m[0].length;
      continue;
    }
    NUMBER.lastIndex = i;
    const number = /[\d.+-]/.test(c) ? NUMBER.exec(source) : null;
    if (number !== null) {
      tokens.push({ kind: 'number', text: number[0], at: i });
      i += number[0].length;
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(source);
    if (word !== null) {
      tokens.push({ kind: 'word', text: word[0], at: i });
      i += word[0].length;
      continue;
    }
    const symbol = SYMBOLS.find((s) => source.startsWith(s, i));
    if (symbol === undefined) throw syntaxError(source, i, `unexpected character '${c}'`);
    tokens.push({ kind: 'symbol', text: symbol, at: i });
    i += symbol.length;
  }
  tokens.push({ kind: 'end', text: '', at: source.length });
  return tokens;
}

const DATASETS: Readonly<Record<string, FilterDataset>> = {
  ITEMS: 'Items',
  INTERACTIONS: 'Interactions',
  USERS: 'Users',
};

class Parser {
  private pos = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
  ) {}

  private get token(): Token {
    return this.tokens[this.pos] as Token;
  }

  private fail(expected: string): never {
    throw syntaxError(this.source, this.token.at, `expected ${expected}`);
  }

  private isWord(word: string): boolean {
    return this.token.kind === 'word' && this.token.text.toUpperCase() === word;
  }

  private isSymbol(symbol: string): boolean {
    return this.token.kind === 'symbol' && this.token.text === symbol;
  }

  private word(word: string): void {
    if (!this.isWord(word)) this.fail(word);
    this.pos++;
  }

  private symbol(symbol: string, expected = `'${symbol}'`): void {
    if (!this.isSymbol(symbol)) this.fail(expected);
    this.pos++;
  }

  private identifier(what: string): string {
    if (this.token.kind !== 'word') this.fail(what);
    const text = this.token.text;
    this.pos++;
    return text;
  }

  parse(): FilterTree {
    const statements: FilterStatement[] = [this.statement()];
    while (this.isSymbol('|')) {
      this.pos++;
      statements.push(this.statement());
    }
    if (this.token.kind !== 'end') this.fail("'|', AND, OR, IF or the end of the expression");
    return { statements };
  }

  private statement(): FilterStatement {
    let action: FilterAction;
    if (this.isWord('INCLUDE')) action = 'INCLUDE';
    else if (this.isWord('EXCLUDE')) action = 'EXCLUDE';
    else this.fail('INCLUDE or EXCLUDE');
    this.pos++;
    if (this.isWord('USERID') || this.isWord('ACTIONID')) {
      this.fail('ItemID (only item filters are supported: UserID and ActionID filters serve other recipes)');
    }
    this.word('ITEMID');
    this.word('WHERE');
    const where: FilterCondition[][] = [[this.condition()]];
    for (;;) {
      if (this.isWord('AND')) {
        this.pos++;
        (where[where.length - 1] as FilterCondition[]).push(this.condition());
      } else if (this.isWord('OR')) {
        this.pos++;
        where.push([this.condition()]);
      } else break;
    }
    const when: UserCondition[] = [];
    if (this.isWord('IF')) {
      this.pos++;
      when.push(this.userCondition());
      while (this.isWord('AND')) {
        this.pos++;
        when.push(this.userCondition());
      }
    }
    return { action, where, when };
  }

  private condition(): FilterCondition {
    const at = this.token.at;
    const name = this.identifier('a dataset name (Items, Interactions or Users)');
    const dataset = DATASETS[name.toUpperCase()];
    if (dataset === undefined) {
      if (name.toUpperCase() === 'CURRENTUSER') {
        throw syntaxError(this.source, at, 'CurrentUser conditions only in the trailing IF clause');
      }
      throw syntaxError(this.source, at, `a dataset name (Items, Interactions or Users), not '${name}'`);
    }
    this.symbol('.');
    const field = this.identifier('a field name').toUpperCase();
    const { op, rhs } = this.comparison();
    return { dataset, field, op, rhs };
  }

  private userCondition(): UserCondition {
    const at = this.token.at;
    const name = this.identifier('CurrentUser');
    if (name.toUpperCase() !== 'CURRENTUSER') {
      throw syntaxError(this.source, at, `CurrentUser.FIELD in the IF clause, not '${name}'`);
    }
    this.symbol('.');
    const field = this.identifier('a field name').toUpperCase();
    const { op, rhs } = this.comparison();
    return { field, op, rhs };
  }

  private comparison(): { op: FilterOperator; rhs: FilterRhs } {
    if (this.isWord('IN')) {
      this.pos++;
      return { op: 'IN', rhs: this.list() };
    }
    if (this.isWord('NOT')) {
      this.pos++;
      this.word('IN');
      return { op: 'NOT IN', rhs: this.list() };
    }
    const t = this.token;
    if (t.kind !== 'symbol' || !['=', '!=', '<', '<=', '>', '>='].includes(t.text)) {
      this.fail('an operator (IN, NOT IN, =, !=, <, <=, >, >=)');
    }
    this.pos++;
    const op = t.text as FilterOperator;
    if (this.token.kind === 'param') {
      const name = this.token.text;
      this.pos++;
      return { op, rhs: { kind: 'param', name } };
    }
    if (this.isSymbol('(') && this.tokens[this.pos + 1]?.kind === 'param') {
      this.pos++;
      const name = this.token.text;
      this.pos++;
      this.symbol(')');
      return { op, rhs: { kind: 'param', name } };
    }
    if (this.token.kind === 'number') {
      const value = Number(this.token.text);
      this.pos++;
      return { op, rhs: { kind: 'number', value } };
    }
    return this.fail('a number or a $PARAMETER after a comparison operator');
  }

  /** `( value, … )`, `( $P )` or `$P`. */
  private list(): FilterRhs {
    if (this.token.kind === 'param') {
      const name = this.token.text;
      this.pos++;
      return { kind: 'param', name };
    }
    this.symbol('(', "'(' or a $PARAMETER");
    const inner: Token = this.token;
    if (inner.kind === 'param') {
      const name = inner.text;
      this.pos++;
      this.symbol(')', "')' (a parameter stands alone in its list)");
      return { kind: 'param', name };
    }
    const values: FilterLiteral[] = [this.literal()];
    while (this.isSymbol(',')) {
      this.pos++;
      values.push(this.literal());
    }
    this.symbol(')', "',' or ')'");
    return { kind: 'values', values };
  }

  private literal(): FilterLiteral {
    const t = this.token;
    if (t.kind === 'string') {
      this.pos++;
      return t.text === '*' ? { kind: 'wildcard' } : { kind: 'string', value: t.text };
    }
    if (t.kind === 'symbol' && t.text === '*') {
      this.pos++;
      return { kind: 'wildcard' };
    }
    return this.fail('a double-quoted value');
  }
}

/** Parses a filter expression; a syntax error → `InvalidInputException` saying where and what was expected. */
export function parseFilter(source: string): FilterTree {
  return new Parser(source, tokenize(source)).parse();
}

function quoteValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function formatRhs(op: FilterOperator, rhs: FilterRhs): string {
  switch (rhs.kind) {
    case 'param':
      return op === 'IN' || op === 'NOT IN' ? `($${rhs.name})` : `$${rhs.name}`;
    case 'number':
      return String(rhs.value);
    case 'values':
      return `(${rhs.values.map((v) => (v.kind === 'wildcard' ? '"*"' : quoteValue(v.value))).join(', ')})`;
  }
}

/** The canonical text of a tree: upper-case keywords, canonical dataset names, one space between tokens. */
export function formatFilter(tree: FilterTree): string {
  return tree.statements
    .map((s) => {
      const where = s.where
        .map((group) =>
          group.map((c) => `${c.dataset}.${c.field} ${c.op} ${formatRhs(c.op, c.rhs)}`).join(' AND '),
        )
        .join(' OR ');
      const when =
        s.when.length === 0
          ? ''
          : ` IF ${s.when.map((c) => `CurrentUser.${c.field} ${c.op} ${formatRhs(c.op, c.rhs)}`).join(' AND ')}`;
      return `${s.action} ItemID WHERE ${where}${when}`;
    })
    .join(' | ');
}

/** Every `$NAME` of a statement (its WHERE and IF parts), in first-use order. */
export function statementParameters(statement: FilterStatement): string[] {
  const names = new Set<string>();
  for (const c of [...statement.where.flat(), ...statement.when]) {
    if (c.rhs.kind === 'param') names.add(c.rhs.name);
  }
  return [...names];
}
