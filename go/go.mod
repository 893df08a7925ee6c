module chaos/go

go 1.21
