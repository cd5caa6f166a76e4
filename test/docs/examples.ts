// Reads the runnable examples out of the README and docs/*.md, and compares what a command printed with what the
// page says it prints. The rules, for whoever writes a page:
//
// - A ```console block is run, command by command, in one bash per page (so `export` and files carry from one
//   block to the next). A command line starts with `$ `; a line ending in `\` continues it. `tether` is this
//   checkout's bin/tether.js. Every other line until the next command is what the command prints (stdout and
//   stderr together), compared line by line, trailing spaces ignored:
//     - `…` inside a line stands for any text (ids, timings, ports);
//     - a line that is only `…` stands for any number of lines (zero included).
// - A command is expected to exit 0; end it with `# exit N` to expect N.
// - A command ending in `&` starts a server in the background (its own process group, stopped with SIGINT when the
//   page is done): only its stdout is compared, and only as many lines as the page shows.
// - The ports 4010 (emulator) and 8787 (gateway) are replaced by free ports, in commands and output alike.
// - ```ts blocks are type-checked and run against the page's emulator (exit 0 expected); a ```text output block
//   right after one is what it prints, compared as above. Other ```text, ```sh, ```json and ```yaml blocks are
//   syntax and sample files, not run.

export interface ConsoleCommand {
  /** 1-based line of the `$ ` line in the page. */
  line: number;
  command: string;
  expected: string[];
  exit: number;
  background: boolean;
}

export interface CodeBlock {
  line: number;
  lang: string;
  /** What follows the language on the fence line, e.g. `output` in ```text output. */
  info: string;
  code: string;
}

/** Fenced code blocks with their language and the line their first code line is on. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  let open: { lang: string; info: string; line: number; body: string[] } | undefined;
  lines.forEach((text, index) => {
    const fence = /^```(\S*)[ \t]*(.*?)\s*$/.exec(text);
    if (open === undefined) {
      if (fence) open = { lang: fence[1] ?? '', info: fence[2] ?? '', line: index + 2, body: [] };
    } else if (/^```\s*$/.test(text)) {
      blocks.push({ lang: open.lang, info: open.info, line: open.line, code: open.body.join('\n') });
      open = undefined;
    } else {
      open.body.push(text);
    }
  });
  if (open !== undefined) throw new Error(`a code block opened on line ${open.line - 1} is never closed`);
  return blocks;
}

const EXIT_MARK = /\s+#\s*exit\s+(\d+)\s*$/;

/** The commands of one ```console block. */
export function consoleCommands(block: CodeBlock): ConsoleCommand[] {
  const commands: ConsoleCommand[] = [];
  const lines = block.code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    if (!text.startsWith('$ ')) {
      const current = commands.at(-1);
      if (current === undefined) {
        if (text.trim() === '') continue;
        throw new Error(`line ${block.line + i}: a console block must start with a "$ " command line`);
      }
      current.expected.push(text);
      continue;
    }
    const line = block.line + i;
    const parts = [text.slice(2)];
    while ((parts.at(-1) ?? '').endsWith('\\') && i + 1 < lines.length) parts.push(lines[++i] ?? '');
    let command = parts.join('\n');
    let exit = 0;
    const mark = EXIT_MARK.exec(command);
    if (mark) {
      exit = Number(mark[1]);
      command = command.slice(0, mark.index);
    }
    const background = /\s&\s*$/.test(command);
    if (background) command = command.replace(/\s&\s*$/, '');
    commands.push({ line, command, expected: [], exit, background });
  }
  for (const command of commands) {
    while (command.expected.length > 0 && (command.expected.at(-1) ?? '').trim() === '') command.expected.pop();
  }
  return commands;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One expected line as a test: `…` inside it matches any text. */
function linePattern(expected: string): RegExp {
  return new RegExp(`^${expected.trimEnd().split('…').map(escapeRegExp).join('.*?')}$`, 's');
}

/**
 * Undefined when `actual` is what `expected` describes, else a message naming the first line that differs. A lone `…`
 * line matches any run of lines (tried shortest first, so an elision never swallows what follows it).
 */
export function compareOutput(expected: readonly string[], actual: readonly string[]): string | undefined {
  const want = expected.map((l) => l.trimEnd());
  const got = actual.map((l) => l.trimEnd());
  let furthest = { w: 0, g: 0 };
  const memo = new Set<string>();
  const match = (w: number, g: number): boolean => {
    const key = `${w}:${g}`;
    if (memo.has(key)) return false;
    memo.add(key);
    if (w > furthest.w || (w === furthest.w && g > furthest.g)) furthest = { w, g };
    if (w === want.length) return g === got.length;
    const line = want[w] as string;
    if (line === '…') {
      for (let skip = g; skip <= got.length; skip++) if (match(w + 1, skip)) return true;
      return false;
    }
    return g < got.length && linePattern(line).test(got[g] as string) && match(w + 1, g + 1);
  };
  if (match(0, 0)) return undefined;
  const { w, g } = furthest;
  const wanted = w < want.length ? JSON.stringify(want[w]) : 'the end of the output';
  const saw = g < got.length ? JSON.stringify(got[g]) : 'the end of the output';
  return `output line ${g + 1}: expected ${wanted}, got ${saw}`;
}

/** `text` with the documented ports swapped for the ones this run uses. */
export function mapPorts(text: string, ports: ReadonlyMap<number, number>): string {
  let out = text;
  for (const [documented, actual] of ports) out = out.replace(new RegExp(`\\b${documented}\\b`, 'g'), String(actual));
  return out;
}
