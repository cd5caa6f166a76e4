// A command's options as data, read two ways: registered with commander (help, errors, every odd form of
// argument) and parsed directly by the fast path, which skips loading commander for a command's plain uses. The
// direct parser accepts only argument lists it can vouch for commander reading the same way and returns
// undefined for anything else, so commander stays the one judge of every unusual or wrong command line.
import type { Command } from 'commander';

/** One option: commander's flags (`--status <code>`, `-H, --header <line>`, `--json`) and its help line. */
export interface OptionSpec {
  flags: string;
  description: string;
  /** Each use adds its value to a list (default []), instead of replacing the previous one. */
  repeatable?: boolean;
}

export type OptionValues = Record<string, string | true | string[]>;

interface ParsedSpec {
  short?: string;
  long: string;
  /** commander's attribute name: `--key-source` → `keySource`. */
  name: string;
  takesValue: boolean;
  repeatable: boolean;
}

const FLAGS = /^(?:(-[A-Za-z]), )?(--[a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?: <[^<>]+>)?$/;

/** The parts of a flags string; only the forms the fast path understands (no optional, variadic or --no- options). */
function parseSpec(spec: OptionSpec): ParsedSpec {
  const match = FLAGS.exec(spec.flags);
  if (match === null || spec.flags.startsWith('--no-') || spec.flags.endsWith('...>')) throw new Error(`option table: unsupported flags ${JSON.stringify(spec.flags)}`);
  const long = match[2] as string;
  const name = long.slice(2).replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
  const takesValue = spec.flags.endsWith('>');
  if (spec.repeatable === true && !takesValue) throw new Error(`option table: ${long} is repeatable but takes no value`);
  return { ...(match[1] === undefined ? {} : { short: match[1] }), long, name, takesValue, repeatable: spec.repeatable === true };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers the table's options on a commander command. */
export function addOptions(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) {
    if (spec.repeatable === true) command.option(spec.flags, spec.description, collect, []);
    else command.option(spec.flags, spec.description);
  }
  return command;
}

/**
 * The option values commander would give the action for `args` (what follows the command's name), or undefined
 * when `args` holds anything but the table's options in their plain forms: `--long value`, `--long=value`,
 * `-s value`, `-svalue`, `--flag`. Positional arguments, `--`, help, unknown options, a missing value, or a value
 * starting with `-` (which commander's root may claim: `-V` prints the version) are left to commander.
 */
export function parseOptionTable(specs: readonly OptionSpec[], args: readonly string[]): OptionValues | undefined {
  const parsed = specs.map(parseSpec);
  const byFlag = new Map<string, ParsedSpec>();
  for (const spec of parsed) {
    byFlag.set(spec.long, spec);
    if (spec.short !== undefined) byFlag.set(spec.short, spec);
  }
  const values: OptionValues = {};
  for (const spec of parsed) if (spec.repeatable) values[spec.name] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    let spec: ParsedSpec | undefined;
    let value: string | undefined;
    if (byFlag.has(arg)) {
      spec = byFlag.get(arg) as ParsedSpec;
      if (spec.takesValue) value = args[++i];
      if (spec.takesValue && value === undefined) return undefined;
    } else if (equals > 2) {
      spec = byFlag.get(arg.slice(0, equals));
      value = arg.slice(equals + 1);
    } else if (/^-[^-]./.test(arg)) {
      spec = byFlag.get(arg.slice(0, 2));
      value = arg.slice(2);
    }
    if (spec === undefined || (value !== undefined && !spec.takesValue)) return undefined;
    if (value !== undefined && value.length > 1 && value.startsWith('-')) return undefined;
    if (!spec.takesValue) values[spec.name] = true;
    else if (spec.repeatable) values[spec.name] = [...(values[spec.name] as string[]), value as string];
    else values[spec.name] = value as string;
  }
  return values;
}
