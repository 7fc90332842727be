// expect: 2:16: expecting identifier
rule a { meta: condition: true }
