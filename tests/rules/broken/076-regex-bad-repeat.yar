// expect: 2:27: invalid regular expression "$a"
rule a { strings: $a = /ab{5,2}/ condition: $a }
