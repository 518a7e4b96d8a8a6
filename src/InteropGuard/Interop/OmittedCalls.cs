using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Calls the compiler leaves out: the method is <c>[Conditional("DEBUG")]</c> (<c>Debug.WriteLine</c>,
    /// <c>Debug.Assert</c>, or one of the code's own) and none of its symbols is defined where the call is written, so
    /// neither the call nor its arguments run. A symbol counts as defined when the compilation's options define it or the
    /// file names it in any <c>#define</c> or <c>#undef</c> (a file that switches it is read as if it were on).
    /// </summary>
    internal static class OmittedCalls
    {
        public static bool IsOmitted(IInvocationOperation invocation)
        {
            var method = invocation.TargetMethod;
            if (!method.ReturnsVoid || invocation.Syntax.SyntaxTree.Options is not CSharpParseOptions options)
            {
                return false;
            }

            // The attribute is read from the method an override overrides, as the compiler does.
            while (method.OverriddenMethod is { } overridden)
            {
                method = overridden;
            }

            // Asked of every void call a last-error walk passes: nothing is allocated unless the method is conditional.
            List<string>? symbols = null;
            foreach (var attribute in method.OriginalDefinition.GetAttributes())
            {
                if (!IsConditionalAttribute(attribute))
                {
                    continue;
                }

                if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not string symbol
                    || options.PreprocessorSymbolNames.Contains(symbol))
                {
                    return false;
                }

                (symbols ??= new List<string>()).Add(symbol);
            }

            return symbols != null && !NamedByDirective(invocation.Syntax.SyntaxTree, symbols);
        }

        private static bool IsConditionalAttribute(AttributeData attribute)
            => attribute.AttributeClass is { Name: "ConditionalAttribute", ContainingNamespace: { Name: "Diagnostics", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } };

        private static bool NamedByDirective(SyntaxTree tree, List<string> symbols)
        {
            if (tree.GetRoot() is not { } root || !root.ContainsDirectives)
            {
                return false;
            }

            // #define and #undef may only open a file, before its first token: they are in that token's leading trivia.
            return root.GetFirstToken(includeZeroWidth: true).LeadingTrivia.Select(t => t.GetStructure()).Any(d => d switch
            {
                DefineDirectiveTriviaSyntax define => symbols.Contains(define.Name.ValueText),
                UndefDirectiveTriviaSyntax undefine => symbols.Contains(undefine.Name.ValueText),
                _ => false,
            });
        }
    }
}
