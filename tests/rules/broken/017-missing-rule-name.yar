// expect: 2:6: expecting identifier
rule { condition: true }
