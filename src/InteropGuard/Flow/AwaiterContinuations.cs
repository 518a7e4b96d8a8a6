using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The continuation an awaiter of the compilation receives in <c>OnCompleted</c>/<c>UnsafeOnCompleted</c>, when only
    /// <c>await</c> in an async method returning a task can hand it one: it is the state machine's step, which catches
    /// whatever the method's body throws and keeps it in the task. Invoking it from a native callback throws nothing of
    /// the user's. Holds when the awaiter's type is not visible outside the compilation, nothing in the compilation names
    /// the method (so no code calls it but the compiler's), and every object of the type the compilation makes is made
    /// as the operand of an <c>await</c> in a function that is <c>async</c> and does not return <c>void</c>. DokanNet's
    /// wait for the file system's unmount, resumed from the native wait callback.
    /// </summary>
    internal static class AwaiterContinuations
    {
        public static bool IsStateMachineContinuation(Compilation compilation, WellKnownTypes types, InteropVocabulary vocabulary, IMethodSymbol method, IParameterSymbol parameter)
        {
            var awaiter = method.ContainingType;
            if (method.Name is not ("OnCompleted" or "UnsafeOnCompleted") || method.Parameters.Length != 1 || awaiter == null
                || types.Action is not { } action || !SymbolEqualityComparer.Default.Equals(parameter.Type, action)
                || types.INotifyCompletion is not { } notifyCompletion
                || !awaiter.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i, notifyCompletion))
                || SymbolVisibility.IsVisibleOutsideTheCompilation(awaiter)
                || !SymbolEqualityComparer.Default.Equals(awaiter.ContainingAssembly, compilation.Assembly))
            {
                return false;
            }

            // Which trees can name the method or the awaiter is read from each tree's identifiers, recorded once per tree and
            // shared, not from a copy of every text.
            var methodName = new[] { IdentifierRuns.Hash(method.Name) };
            var awaiterName = new[] { IdentifierRuns.Hash(awaiter.Name) };
            var made = 0;
            foreach (var tree in compilation.SyntaxTrees)
            {
                var identifiers = vocabulary.Identifiers(tree);
                var spellsMethod = identifiers.MaySpellOtherwise || identifiers.MayName(methodName);
                if (!spellsMethod && !identifiers.MayName(awaiterName))
                {
                    continue;
                }

                if (spellsMethod && NameReferences.To(method, tree.GetRoot(), compilation).Any())
                {
                    return false;
                }

#pragma warning disable RS1030 // Once per awaiter field, for the trees that spell the awaiter's name.
                var model = compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
                foreach (var creation in tree.GetRoot().DescendantNodes().OfType<BaseObjectCreationExpressionSyntax>())
                {
                    if (!SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(creation).Type, awaiter))
                    {
                        continue;
                    }

                    if (!IsAwaitedInTaskMethod(creation, model))
                    {
                        return false;
                    }

                    made++;
                }
            }

            return made > 0;
        }

        private static bool IsAwaitedInTaskMethod(SyntaxNode creation, SemanticModel model)
        {
            var operand = creation;
            while (operand.Parent is ParenthesizedExpressionSyntax)
            {
                operand = operand.Parent;
            }

            if (operand.Parent is not AwaitExpressionSyntax)
            {
                return false;
            }

            var function = operand.Ancestors().FirstOrDefault(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or AccessorDeclarationSyntax);
            var symbol = function switch
            {
                AnonymousFunctionExpressionSyntax lambda => model.GetSymbolInfo(lambda).Symbol as IMethodSymbol,
                null => null,
                _ => model.GetDeclaredSymbol(function) as IMethodSymbol,
            };
            return symbol is { IsAsync: true, ReturnsVoid: false };
        }
    }
}
