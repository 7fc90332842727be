// expect: 2:8: unknown module "nosuchmodule"
import "nosuchmodule"
rule a { condition: true }
