/**
 * Outside text shown on GitHub (the pull-request comment, the job summary) must not mention anyone, reference an
 * issue or become a link: GitHub renders `@octocat` as a mention that notifies, `#12`, `GH-12` and `acme/app#12`
 * as references (which also add "mentioned this" to the timeline), `user@sha` as a commit link, and
 * `https://…`, `www.…` and `a@b.example` as links.
 *
 * Escaping does not stop it: GitHub finds mentions and references after the Markdown is rendered, in the text of the
 * HTML, where `&#64;` and `\@` have become `@` again (github/cmark-gfm#181 "At sign and hash escaping is not
 * possible"; github/markup#1168; openjdk/skara#1548 found `&#64;` still mentions). What GitHub honours is a
 * character between `@` or `#` and the name or number: a zero-width space (U+200B), the workaround given in
 * cmark-gfm#181 and github/markup#1168, and what Renovate has put in every pull request it writes for years
 * (renovatebot/renovate, lib/util/markdown.ts, sanitizeMarkdown: `@` → `@&#8203;`, `#1` → `#&#8203;1`).
 * Whether GitHub renders it so can't be tested here; these sources are the evidence.
 *
 * The one rule for both renderers (src/action/pr-comment.ts, src/core/report/report.ts): every piece of outside text passes
 * through breakAutolinks before it is escaped for Markdown or HTML. The text reads the same; copied, it carries the
 * invisible spaces. Not broken: a bare commit SHA (a link to the repository's own commit) and a repository's custom
 * autolink prefixes (its settings, unknown here); neither notifies anyone.
 */

const ZWSP = '\u200B'

/**
 * Puts a zero-width space after `@` before a name or domain character (mentions and team mentions need a letter or
 * digit there, e-mail links a letter, digit, '.', '-' or '_'; `user@sha` too), after `#` and `GH-` before a digit
 * (issue and pull-request references, `owner/repo#12` included), after the `:` of `://` (links with a scheme) and
 * after a word-initial `www` before a dot (links without one). Anything else, `"$@"` say, is left as it is.
 * Idempotent.
 */
export function breakAutolinks(text: string): string {
  return text
    .replace(/@(?=[A-Za-z0-9._-])/g, `@${ZWSP}`)
    .replace(/#(?=\d)/g, `#${ZWSP}`)
    .replace(/\b(GH-)(?=\d)/gi, `$1${ZWSP}`)
    .replace(/:(?=\/\/)/g, `:${ZWSP}`)
    .replace(/\b(www)(?=\.)/gi, `$1${ZWSP}`)
}
