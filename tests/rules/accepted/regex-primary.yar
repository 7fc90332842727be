// yara 4.2.3 takes a regular expression as a primary expression: a quantifier, a boolean.
import "pe"
rule a { strings: $a = "abc" condition: /x/ of them and /y/ and pe.exports((/z/)) and @a[/w/] >= 0 }
