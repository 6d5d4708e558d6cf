import { SCHEMAS, TYPE_NAMES, type ResourceType } from './schema.ts';

/**
 * A real parser for the `$filter` subset directory queries use: eq/ne comparisons,
 * and/or/not, parentheses, startswith/endswith, and any() lambdas over string
 * collections and complex collections (`o/category eq '…'`). It answers like Graph:
 * syntax errors are 400 BadRequest "Invalid filter clause", queries Graph refuses
 * (unknown operator for a property, advanced operator without ConsistencyLevel +
 * $count, literal-only comparisons, empty lambdas) are 400 Request_UnsupportedQuery.
 */

export class FilterError extends Error {
  constructor(
    readonly code: 'BadRequest' | 'Request_UnsupportedQuery' | 'Request_BadRequest',
    message: string,
  ) {
    super(message);
  }
}

type Token =
  | { k: 'str'; v: string; at: number }
  | { k: 'id'; v: string; at: number }
  | { k: 'num'; v: number; at: number }
  | { k: 'punct'; v: '(' | ')' | ',' | ':' | '/'; at: number };

export type Literal = string | number | boolean | null;
export type Node =
  | { t: 'or' | 'and'; l: Node; r: Node }
  | { t: 'not'; e: Node }
  | { t: 'cmp'; op: 'eq' | 'ne' | 'ge' | 'le' | 'gt' | 'lt'; path: string[]; value: Literal }
  | { t: 'fn'; name: 'startswith' | 'endswith'; path: string[]; value: string }
  | { t: 'any'; prop: string; v: string | null; body: Node | null };

const COMPARE = new Set(['eq', 'ne', 'ge', 'le', 'gt', 'lt']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const bad = (msg: string): never => {
    throw new FilterError('BadRequest', `Invalid filter clause: ${msg} at position ${i} in '${text}'.`);
  };
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if ('(),:/'.includes(c)) { out.push({ k: 'punct', v: c as '(', at: i }); i++; continue; }
    if (c === "'") {
      const at = i;
      let v = '';
      i++;
      for (;;) {
        if (i >= text.length) bad('There is an unterminated string literal');
        if (text[i] === "'") {
          if (text[i + 1] === "'") { v += "'"; i += 2; continue; }
          i++;
          break;
        }
        v += text[i++];
      }
      out.push({ k: 'str', v, at });
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(text.slice(i));
    if (num) { out.push({ k: 'num', v: Number(num[0]), at: i }); i += num[0].length; continue; }
    const id = /^[A-Za-z_$@#][A-Za-z0-9_.$@#]*/.exec(text.slice(i));
    if (id) { out.push({ k: 'id', v: id[0], at: i }); i += id[0].length; continue; }
    bad(`Syntax error: character '${c}' is not valid`);
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[], private readonly text: string) {}

  private syntax(msg = 'Syntax error'): never {
    const at = this.toks[this.i]?.at ?? this.text.length;
    throw new FilterError('BadRequest', `Invalid filter clause: ${msg} at position ${at} in '${this.text}'.`);
  }
  private peek(): Token | undefined { return this.toks[this.i]; }
  private isWord(w: string): boolean { const t = this.peek(); return t?.k === 'id' && t.v.toLowerCase() === w; }
  private punct(p: string): void {
    const t = this.toks[this.i];
    if (t?.k !== 'punct' || t.v !== p) this.syntax(`')' or operator expected`);
    this.i++;
  }

  parse(): Node {
    const node = this.or();
    if (this.i < this.toks.length) this.syntax(); // trailing text: `x eq 'a' 'b'`, `x eq 'a') or (`
    return node;
  }
  private or(): Node {
    let l = this.and();
    while (this.isWord('or')) { this.i++; l = { t: 'or', l, r: this.and() }; }
    return l;
  }
  private and(): Node {
    let l = this.unary();
    while (this.isWord('and')) { this.i++; l = { t: 'and', l, r: this.unary() }; }
    return l;
  }
  private unary(): Node {
    if (this.isWord('not')) { this.i++; return { t: 'not', e: this.unary() }; }
    const t = this.peek();
    if (t?.k === 'punct' && t.v === '(') { this.i++; const e = this.or(); this.punct(')'); return e; }
    if (t?.k === 'id' && ['startswith', 'endswith'].includes(t.v.toLowerCase()) && this.toks[this.i + 1]?.v === '(') {
      this.i += 2;
      const path = this.path();
      this.punct(',');
      const lit = this.literal();
      this.punct(')');
      if (typeof lit !== 'string') throw new FilterError('Request_UnsupportedQuery', 'Unsupported Query.');
      return { t: 'fn', name: t.v.toLowerCase() as 'startswith', path, value: lit };
    }
    if (t?.k !== 'id') {
      // `1 eq 1`, `'a' eq 'a'`: Graph wants a property on the left.
      if (t && (t.k === 'str' || t.k === 'num')) throw new FilterError('Request_UnsupportedQuery', 'Unsupported Query.');
      this.syntax();
    }
    const path = this.path();
    const lambda = this.peek();
    if (lambda?.k === 'id' && ['any', 'all'].includes(lambda.v.toLowerCase()) && path.length >= 1 && this.toks[this.i - 1]?.v === '/') {
      return this.lambda(path, lambda.v.toLowerCase());
    }
    const op = this.peek();
    if (op?.k !== 'id' || !COMPARE.has(op.v.toLowerCase())) this.syntax('operator expected');
    this.i++;
    return { t: 'cmp', op: op.v.toLowerCase() as 'eq', path, value: this.literal() };
  }
  private lambda(path: string[], kind: string): Node {
    this.i++; // any|all
    if (kind === 'all') throw new FilterError('Request_UnsupportedQuery', 'Unsupported Query.');
    this.punct('(');
    const next = this.peek();
    if (next?.k === 'punct' && next.v === ')') { this.i++; return { t: 'any', prop: path.join('/'), v: null, body: null }; }
    const v = this.peek();
    if (v?.k !== 'id') this.syntax('range variable expected');
    this.i++;
    this.punct(':');
    const body = this.or();
    this.punct(')');
    return { t: 'any', prop: path.join('/'), v: v.v, body };
  }
  /** `a`, `a/b`; a trailing `/` before any() is left for the caller. */
  private path(): string[] {
    const parts: string[] = [];
    for (;;) {
      const t = this.peek();
      if (t?.k !== 'id') this.syntax('property expected');
      parts.push(t.v);
      this.i++;
      const slash = this.peek();
      if (slash?.k === 'punct' && slash.v === '/') {
        this.i++;
        const after = this.peek();
        if (after?.k === 'id' && ['any', 'all'].includes(after.v.toLowerCase()) && this.toks[this.i + 1]?.v === '(') return parts;
        continue;
      }
      return parts;
    }
  }
  private literal(): Literal {
    const t = this.peek();
    if (!t) this.syntax('literal expected');
    this.i++;
    if (t.k === 'str' || t.k === 'num') return t.v;
    if (t.k === 'id') {
      const w = t.v.toLowerCase();
      if (w === 'null') return null;
      if (w === 'true') return true;
      if (w === 'false') return false;
      // `mail eq other`: property-to-property comparisons are not supported by directory queries.
      throw new FilterError('Request_UnsupportedQuery', 'Unsupported Query.');
    }
    return this.syntax('literal expected');
  }
}

export function parseFilter(text: string): Node {
  if (!text.trim()) throw new FilterError('BadRequest', "Invalid filter clause: The query specified in the URI is not valid.");
  return new Parser(tokenize(text), text).parse();
}

/** Checks a parsed filter against the resource's property table, as Graph does before running it. */
export function validateFilter(node: Node, type: ResourceType, advanced: boolean): void {
  const schema = SCHEMAS[type];
  const unsupported = (prop: string): never => {
    throw new FilterError(
      'Request_UnsupportedQuery',
      `Unsupported or invalid query filter clause specified for property '${prop}' of resource '${TYPE_NAMES[type].resource}'.`,
    );
  };
  const allowed = (prop: string, op: string): void => {
    const spec = schema[prop];
    if (!spec) throw new FilterError('BadRequest', `Could not find a property named '${prop}' on type '${TYPE_NAMES[type].odata}'.`);
    if (spec.ops.includes(op)) return;
    if (advanced && spec.advanced?.includes(op)) return;
    unsupported(prop);
  };
  const walk = (n: Node, lambda: { v: string; prop: string } | null, negated: boolean): void => {
    switch (n.t) {
      case 'or':
      case 'and':
        walk(n.l, lambda, negated); walk(n.r, lambda, negated); return;
      case 'not':
        if (!advanced) throw new FilterError('Request_UnsupportedQuery', 'Unsupported Query.');
        walk(n.e, lambda, !negated); return;
      case 'any': {
        if (lambda) throw new FilterError('Request_UnsupportedQuery', 'Unsupported Query.');
        const spec = schema[n.prop];
        if (!spec) throw new FilterError('BadRequest', `Could not find a property named '${n.prop}' on type '${TYPE_NAMES[type].odata}'.`);
        if (!spec.multi) unsupported(n.prop);
        if (!n.body || !n.v) throw new FilterError('Request_UnsupportedQuery', 'Unsupported Query.');
        walk(n.body, { v: n.v, prop: n.prop }, negated);
        return;
      }
      case 'cmp':
      case 'fn': {
        const op = n.t === 'cmp' ? (n.value === null ? 'null' : n.op) : n.name;
        if (lambda && n.path[0] === lambda.v) {
          const spec = schema[lambda.prop]!;
          if (n.path.length === 1) {
            if (spec.fields) unsupported(lambda.prop);
            if (op !== 'eq' && !spec.ops.includes(op) && !(advanced && spec.advanced?.includes(op))) unsupported(lambda.prop);
            return;
          }
          const field = n.path.slice(1).join('/');
          if (!spec.fields?.[field]?.includes(op)) unsupported(`${lambda.prop}/${field}`);
          return;
        }
        if (n.path.length !== 1) unsupported(n.path.join('/'));
        const prop = n.path[0]!;
        if (schema[prop]?.multi) {
          throw new FilterError(
            'BadRequest',
            "Invalid filter clause: The operand for a binary operator 'Equal' is not a single value. Binary operators require both operands to be single values.",
          );
        }
        allowed(prop, op === 'ne' && !advanced ? 'ne' : op);
        return;
      }
    }
  };
  walk(node, null, false);
}

const norm = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);

/** Evaluates a validated filter against one JSON object (string comparisons case-insensitive, like Graph). */
export function evaluate(n: Node, obj: Record<string, unknown>, scope: Record<string, unknown> = {}): boolean {
  const get = (path: string[]): unknown => {
    let cur: unknown = path[0]! in scope ? scope[path[0]!] : obj[path[0]!];
    for (const p of path.slice(1)) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
    return cur;
  };
  switch (n.t) {
    case 'or': return evaluate(n.l, obj, scope) || evaluate(n.r, obj, scope);
    case 'and': return evaluate(n.l, obj, scope) && evaluate(n.r, obj, scope);
    case 'not': return !evaluate(n.e, obj, scope);
    case 'any': {
      const list = obj[n.prop];
      return Array.isArray(list) && list.some((item) => evaluate(n.body!, obj, { ...scope, [n.v!]: item }));
    }
    case 'fn': {
      const v = get(n.path);
      if (typeof v !== 'string') return false;
      return n.name === 'startswith' ? v.toLowerCase().startsWith(n.value.toLowerCase()) : v.toLowerCase().endsWith(n.value.toLowerCase());
    }
    case 'cmp': {
      const a = norm(get(n.path) ?? null);
      const b = norm(n.value);
      switch (n.op) {
        case 'eq': return a === b;
        case 'ne': return a !== b;
        case 'ge': return (a as string) >= (b as string);
        case 'le': return (a as string) <= (b as string);
        case 'gt': return (a as string) > (b as string);
        case 'lt': return (a as string) < (b as string);
      }
    }
  }
}

/** True when the filter uses a function (startswith, endswith) or a lambda (any): "advanced" on deleted items. */
export function usesFunctionOrLambda(n: Node): boolean {
  switch (n.t) {
    case 'fn':
    case 'any':
      return true;
    case 'or':
    case 'and':
      return usesFunctionOrLambda(n.l) || usesFunctionOrLambda(n.r);
    case 'not':
      return usesFunctionOrLambda(n.e);
    case 'cmp':
      return false;
  }
}
