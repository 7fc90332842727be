// expect: 2:21: expecting integer number
rule a { meta: x = -"a" condition: true }
