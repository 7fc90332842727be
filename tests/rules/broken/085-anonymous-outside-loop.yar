// expect: 2:48: wrong use of anonymous string
rule a { strings: $a = "abc" condition: $a and $ }
