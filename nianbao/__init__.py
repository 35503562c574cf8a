"""nianbao: the command-line entry point; the work lives in parsers/, crawler/ and archive/."""
