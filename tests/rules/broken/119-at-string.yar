// expect: 2:47: wrong type "string" for at operator
rule a { strings: $a = "abc" condition: $a at "x" }
