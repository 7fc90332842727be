// expect: 2:29: duplicated string identifier "$a"
rule a { strings: $a = "x1" $a = "x2" condition: $a }
