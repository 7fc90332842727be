// expect: 2:19: expecting string identifier
rule a { strings: condition: true }
