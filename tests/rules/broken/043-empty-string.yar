// expect: 2:19: empty string "$a"
rule a { strings: $a = "" condition: $a }
