// expect: 2:21: integer overflow
rule a { condition: 9007199254740992KB > 0 }
