// expect: 2:8: expecting text string
import pe
rule a { condition: true }
