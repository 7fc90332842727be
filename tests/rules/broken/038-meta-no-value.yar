// expect: 2:20: expecting text string, number, true or false
rule a { meta: x = condition: true }
