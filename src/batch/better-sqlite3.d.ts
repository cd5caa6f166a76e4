// The part of better-sqlite3 12's API the checkpoint store uses (the package ships no types and
// @types/better-sqlite3 is not installed).
declare module 'better-sqlite3' {
  interface RunResult {
    changes: number;
    lastInsertRowid: number | bigint;
  }

  interface Statement<Row = unknown> {
    run(...params: unknown[]): RunResult;
    get(...params: unknown[]): Row | undefined;
    all(...params: unknown[]): Row[];
    iterate(...params: unknown[]): IterableIterator<Row>;
  }

  interface Transaction<Args extends unknown[], Result> {
    (...args: Args): Result;
    immediate(...args: Args): Result;
  }

  interface DatabaseOptions {
    readonly?: boolean;
    fileMustExist?: boolean;
    timeout?: number;
  }

  class Database {
    constructor(filename: string, options?: DatabaseOptions);
    readonly open: boolean;
    pragma(source: string, options?: { simple?: boolean }): unknown;
    exec(source: string): this;
    prepare<Row = unknown>(source: string): Statement<Row>;
    transaction<Args extends unknown[], Result>(fn: (...args: Args) => Result): Transaction<Args, Result>;
    close(): this;
  }

  export default Database;
}
