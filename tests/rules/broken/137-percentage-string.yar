// expect: 2:41: wrong type "string" for % operator
rule a { strings: $a = "abc" condition: "x"% of them }
