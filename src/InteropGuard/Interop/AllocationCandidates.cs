using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Interop
{
    /// <summary>
    /// A syntax-only pre-filter: could this body call an allocator at all? Asking for a body's operations and
    /// control-flow graph is the expensive part of the analysis, so bodies that name no candidate are skipped.
    /// Candidates over-approximate: the catalogue's names, every P/Invoke declared here (it may be an allocator under
    /// another name), every method whose body is a single call (it may wrap one), and configured allocators.
    /// </summary>
    internal sealed class AllocationCandidates
    {
        private readonly Lazy<HashSet<string>> _declared;

        public AllocationCandidates(Compilation compilation)
        {
            _declared = new Lazy<HashSet<string>>(() => CollectDeclared(compilation), LazyThreadSafetyMode.ExecutionAndPublication);
        }

        public bool MayAllocate(SyntaxNode body, InteropScope scope)
        {
            foreach (var node in body.DescendantNodes())
            {
                // SafeHandle types are named ...Handle by convention, in the BCL and in bindings alike.
                if (node is ObjectCreationExpressionSyntax creation && RightmostName(creation.Type)?.IndexOf("Handle", StringComparison.Ordinal) >= 0)
                {
                    return true;
                }

                if (node is not InvocationExpressionSyntax invocation)
                {
                    continue;
                }

                var name = InvokedName(invocation.Expression);
                if (name == null)
                {
                    continue;
                }

                if (AllocationCatalogue.KnownAllocatorNames.Contains(name) || _declared.Value.Contains(name)
                    || scope.Options.AllocatorPairs.Any(pair => LastSegment(pair.Allocator) == name))
                {
                    return true;
                }
            }

            return false;
        }

        private static string? RightmostName(TypeSyntax type) => type switch
        {
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            _ => null,
        };

        private static string? InvokedName(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            GenericNameSyntax generic => generic.Identifier.ValueText,
            MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
            MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
            _ => null,
        };

        private static string LastSegment(string name)
        {
            var dot = name.LastIndexOf('.');
            return dot < 0 ? name : name.Substring(dot + 1);
        }

        private static HashSet<string> CollectDeclared(Compilation compilation)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var tree in compilation.SyntaxTrees)
            {
                foreach (var method in tree.GetRoot().DescendantNodes(n => !(n is BlockSyntax || n is ArrowExpressionClauseSyntax)).OfType<MethodDeclarationSyntax>())
                {
                    if (method.Modifiers.Any(SyntaxKind.ExternKeyword) || method.Modifiers.Any(SyntaxKind.PartialKeyword) || IsSingleCall(method))
                    {
                        names.Add(method.Identifier.ValueText);
                    }
                }
            }

            return names;
        }

        private static bool IsSingleCall(MethodDeclarationSyntax method)
        {
            ExpressionSyntax? expression = method.ExpressionBody?.Expression;
            if (expression == null && method.Body?.Statements.Count == 1)
            {
                expression = method.Body.Statements[0] switch
                {
                    ReturnStatementSyntax ret => ret.Expression,
                    ExpressionStatementSyntax statement => statement.Expression,
                    _ => null,
                };
            }

            while (expression is CastExpressionSyntax cast)
            {
                expression = cast.Expression;
            }

            return expression is InvocationExpressionSyntax;
        }
    }
}
