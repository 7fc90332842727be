// expect: 2:29: invalid regular expression "$a"
rule a { strings: $a = /ab(c/ condition: $a }
