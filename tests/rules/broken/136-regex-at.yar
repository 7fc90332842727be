// expect: 2:47: wrong type "regexp" for at operator
rule a { strings: $a = "abc" condition: $a at /x/ }
