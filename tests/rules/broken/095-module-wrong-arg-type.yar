// expect: 3:33: wrong arguments for function "entropy"
import "math"
rule a { condition: math.entropy("a", 1) > 1.0 }
