// expect: 2:48: unexpected '..'
rule a { strings: $a = "abc" condition: $a at 1..2 }
