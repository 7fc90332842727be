// expect: 2:16: expecting rule
global private { condition: true }
