// Package filterpattern compiles and evaluates CloudWatch Logs filter
// patterns, the language of metric filters, subscription filters,
// FilterLogEvents and Live Tail:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
//
// Compile parses once; Match, MatchEvent and MatchJSON evaluate many times.
// To run N patterns over one CloudTrail record, wrap it in an Event (or
// NewDecodedEvent when already decoded): the JSON is decoded once and shared.
//
// The kind is chosen from the trimmed pattern: empty matches everything;
// {…} is a JSON pattern; […] is space-delimited; a single %regex% searches the
// whole message; anything else is a term pattern. Everything is
// case-sensitive, keywords (IS, NULL, TRUE, FALSE, NOT EXISTS) included.
//
// # Regex subset
//
// Accepted: letters, digits, space and : _ # = @ / ; , -; the operators
// ^ $ ? * + . | [...] [^...] {m} {m,} {,n} {m,n}; escapes \d \D \w \W \s \S,
// \xhh (ASCII only) and a backslash before any accepted symbol or operator.
// Rejected with a *SyntaxError: ( and ) even escaped (use \x28 / \x29), any
// other symbol (! ' " < > & ~ …), other escapes (\n, \b, \(…), non-ASCII,
// an empty regex, an unmatched ] or }, a malformed {…}. "." also matches a
// newline. At most MaxRegexPerPattern regexes in a JSON or delimited pattern.
//
// # Choices where AWS documents nothing (INFERRED)
//
//   - A pattern that starts with { but does not end with } (or [ without ])
//     is an error rather than a term pattern: it is almost always a typo.
//   - Term patterns may contain %regex% terms, with ? and - prefixes, beside
//     words and phrases. A bare ? or - with no term is an error. Quoted
//     phrases have no escapes and must be followed by whitespace.
//   - A JSON pattern matches only a message that is one JSON object or array;
//     anything else, even a JSON scalar, matches nothing (NOT EXISTS included).
//   - Missing fields, null, objects and arrays satisfy no comparison, != too:
//     { $.missing != "x" } is false. Use NOT EXISTS for absence, IS NULL for null.
//   - A bare value runs to whitespace, &&, || or ) } in JSON patterns, and to
//     whitespace, &&, ||, "," or "]" in delimited ones; quote anything else.
//   - The two-regex quota is enforced for JSON and delimited patterns only;
//     AWS states none for term patterns.
//   - Quoted and bare strings are the same; in quotes \" \\ and \* escape
//     (\* is a literal asterisk). A string compares with a JSON number's text
//     ("3" = 3) and a boolean's text (false = false).
//   - A numeric literal compares numerically with JSON numbers and with
//     strings that read as numbers ("400" = 400, "5" > 4); = and != against
//     other strings compare text. < <= > >= need a numeric literal (compile
//     error otherwise) and fail on non-numeric values.
//   - "*" matches any non-null scalar, so { $.f = "*" } tests presence.
//   - $.* iterates an object's values and also an array's elements; [*]
//     iterates arrays only. Both are existential; NOT EXISTS on a wildcard
//     selector holds when nothing resolves. $['k'] and $["k"] are accepted
//     as well as $.['k'], and $[0] for a top-level array.
//   - Space-delimited messages split on runs of spaces and tabs (no empty
//     fields); "…" and […] are single fields without delimiters, and an
//     unclosed [ or " is an ordinary character. [] matches every message.
//     A trailing comma adds one unnamed field that takes any single message
//     field: that is how AWS's [..., request=*.html*, status_code=4*,]
//     matches messages ending in a size; an empty field elsewhere is an error.
//     Field names are letters, digits and _; duplicates are errors; a compound
//     condition must repeat its field's name (&& binds tighter than ||).
//     Numeric conditions parse the field as a number.
//   - Length counts characters (runes); columns in SyntaxError count runes.
package filterpattern
