// expect: 2:24: expecting text string, hex string or regular expression
rule a { strings: $a = condition: $a }
