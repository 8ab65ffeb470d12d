// Does nothing: lets the benchmark transpile the project once before measuring.
