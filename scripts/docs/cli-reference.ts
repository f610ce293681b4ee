import type { Command } from 'commander';
import { generatedBanner } from './markdown-table.js';

/** Help text is wrapped at this width, whatever the terminal that generates the page. */
const HELP_WIDTH = 100;

/** docs/reference/cli.md: the `--help` of the program and of every command and subcommand, as commander prints it. */
export function cliReference(program: Command): string {
  const commands = everyCommand(program);
  return [
    generatedBanner('the commander program in runners/cli.ts'),
    '',
    '# CLI reference',
    '',
    'The output of `--help` for `bulkhead` and each of its commands. Global options (`--log-level`, `--log-format`)',
    'go before or after the command. Every command writes its log on stderr, one record a line, in one format:',
    'JSON (`{"level":30,"time":…,"component":"import","msg":…}`, pino\'s levels) or text',
    '(`<time> INFO import: <message> key=value…`). Without `--log-format`, text when stderr is a terminal, JSON otherwise.',
    'Errors, usage errors and warnings are records too (`"level":50`, `"event":"failed"`). `bulkhead local` shows its',
    'progress as live bars on a terminal, and otherwise as a plain line on stdout every 5 s.',
    '',
    ...commands.map((c) => `- [${commandPath(c)}](#${commandPath(c).replace(/ /g, '-')})`),
    '',
    ...commands.flatMap((c) => [`## ${commandPath(c)}`, '', '```', helpOf(c).trimEnd(), '```', '']),
  ].join('\n');
}

/** The program and its commands, depth first, without commander's implicit `help` command. */
function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.filter((c) => c.name() !== 'help').flatMap(everyCommand)];
}

function commandPath(command: Command): string {
  return command.parent ? `${commandPath(command.parent)} ${command.name()}` : command.name();
}

/** The help as `--help` prints it, the text added before and after included, at a fixed width and without colour. */
function helpOf(command: Command): string {
  let text = '';
  command.configureHelp({ ...command.configureHelp(), helpWidth: HELP_WIDTH });
  command.configureOutput({ ...command.configureOutput(), writeOut: (s: string) => void (text += s), getOutHasColors: () => false });
  command.outputHelp();
  return text;
}
