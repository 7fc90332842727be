// expect: 2:51: wrong type for range's upper bound
rule a { strings: $a = "abc" condition: $a in (1.."x") }
