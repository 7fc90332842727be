// expect: 2:41: percentage must be between 1 and 100
rule a { strings: $a = "abc" condition: (50 + 60)% of them }
