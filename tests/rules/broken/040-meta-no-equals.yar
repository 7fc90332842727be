// expect: 2:18: expecting '='
rule a { meta: x 1 condition: true }
