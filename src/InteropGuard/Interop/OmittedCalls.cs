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

            // Asked of every void call a last-error walk passes: nothing is allocated unless the method is conditional.
            List<string>? symbols = null;
            foreach (var attribute in AttributedMethod(method).GetAttributes())
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

        /// <summary>
        /// Is the method <c>[Conditional]</c>, so that a build which defines none of its symbols leaves its calls out? Readings
        /// that must hold in every build (a read that keeps an object alive) do not count on such a call, whatever this
        /// compilation defines.
        /// </summary>
        public static bool IsConditional(IMethodSymbol method)
        {
            foreach (var attribute in AttributedMethod(method).GetAttributes())
            {
                if (IsConditionalAttribute(attribute))
                {
                    return true;
                }
            }

            return false;
        }

        // The attribute is read from the method an override overrides, as the compiler does.
        private static IMethodSymbol AttributedMethod(IMethodSymbol method)
        {
            while (method.OverriddenMethod is { } overridden)
            {
                method = overridden;
            }

            return method.OriginalDefinition;
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
