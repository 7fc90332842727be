// expect: 2:19: unreferenced string "$"
rule a { strings: $ = "abc" condition: true }
