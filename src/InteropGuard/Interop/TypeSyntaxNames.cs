using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The name a type is written with, read before anything is bound: the text gates compare it with a symbol's name to
    /// skip declarations that cannot be the one asked about.
    /// </summary>
    internal static class TypeSyntaxNames
    {
        /// <summary>The last identifier of a written type name (<c>Dictionary</c> of <c>System.Collections.Generic.Dictionary&lt;int, T&gt;</c>), or null for other type syntax.</summary>
        public static string? Rightmost(TypeSyntax type) => type switch
        {
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            _ => null,
        };
    }
}
