// expect: 2:41: percentage must be between 1 and 100 (inclusive)
rule a { strings: $a = "abc" condition: 0% of them }
