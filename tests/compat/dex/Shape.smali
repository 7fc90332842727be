# Shape.smali: an interface with one abstract method, for modules_dex.sh.
.class public abstract interface Lcom/example/Shape;
.super Ljava/lang/Object;

.method public abstract area()D
.end method
