// expect: 2:48: wrong type for range's lower bound
rule a { strings: $a = "abc" condition: $a in (1.0..2) }
