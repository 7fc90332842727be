// expect: 2:8: unknown module "androguard"
import "androguard"
rule a { condition: androguard.permission(/x/) }
