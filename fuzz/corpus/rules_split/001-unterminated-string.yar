// expect: 2:24: unterminated string
rule a { strings: $a = "abc
 condition: $a }
