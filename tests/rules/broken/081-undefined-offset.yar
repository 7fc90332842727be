// expect: 2:48: undefined string "$b"
rule a { strings: $a = "abc" condition: $a and @b[1] > 0 }
