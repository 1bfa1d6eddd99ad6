/**
 * The task command: split like a POSIX shell splits words (quotes and backslashes), so that quoted
 * arguments reach the container intact, and quoted again for the buildspec's `eval`.
 * No expansion happens: the container gets the words exactly as written.
 */

export class CommandSyntaxError extends Error {}

const OPERATORS = ['&&', '||', ';', '|', '&', '>', '<', '`', '$(']

export function splitCommand(command: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let i = 0
  const n = command.length
  while (i < n) {
    const c = command[i] as string
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      i++
      continue
    }
    inWord = true
    if (c === "'") {
      const end = command.indexOf("'", i + 1)
      if (end < 0) throw new CommandSyntaxError('an unterminated single quote')
      word += command.slice(i + 1, end)
      i = end + 1
    } else if (c === '"') {
      i++
      let closed = false
      while (i < n) {
        const d = command[i] as string
        if (d === '"') {
          closed = true
          i++
          break
        }
        if (d === '\\' && i + 1 < n && '"\\$`\n'.includes(command[i + 1] as string)) {
          if (command[i + 1] !== '\n') word += command[i + 1]
          i += 2
          continue
        }
        word += d
        i++
      }
      if (!closed) throw new CommandSyntaxError('an unterminated double quote')
    } else if (c === '\\') {
      if (i + 1 >= n) throw new CommandSyntaxError('a trailing backslash')
      if (command[i + 1] !== '\n') word += command[i + 1]
      else if (word === '') inWord = false
      i += 2
    } else {
      const op = OPERATORS.find(o => command.startsWith(o, i))
      if (op) {
        throw new CommandSyntaxError(`the shell syntax '${op}', which is not run by a shell; wrap the command as: sh -c '...'`)
      }
      if (c === '$') {
        throw new CommandSyntaxError("an unquoted '$', which is not expanded; wrap the command as: sh -c '...', or quote it")
      }
      word += c
      i++
    }
  }
  if (inWord) words.push(word)
  return words
}

/** Quote one word for a POSIX shell: 'it'\''s' */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** Words → a string that `eval "set -- $TASK_ARGV"` (or `eval "argv=($TASK_ARGV)"`) turns back into the words. */
export function quoteArgv(words: readonly string[]): string {
  return words.map(shellQuote).join(' ')
}
