using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text.RegularExpressions;
using InteropGuard.Flow;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Rules
{
    /// <summary>
    /// IG5001: an exception the callback's own code raises can escape code that native code calls; IG5002: only code the
    /// library's user supplied (a delegate, an interface or virtual member) can throw there (<see cref="ThrowOrigins"/>). Callbacks are collected per type and each is
    /// reported once, when the first type handing it over is done, on its own declaration: a method passed from several
    /// places (and types) is still one finding, named after its first hand-over in the whole compilation.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class NativeCallbackExceptionAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property: "true" for an async callback, which deferring the exception cannot fix.</summary>
        internal const string AsyncProperty = "Async";

        private const int MaxOperationText = 60;

        /// <summary>The operation inside a helper is a second name in the same message: kept shorter.</summary>
        private const int MaxInnerOperationText = 40;

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CallbackException, Descriptors.CallbackForwardsException);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.For(start.Compilation, start.Options);

                // Native code calls managed code only through a delegate handed to a native function or an UnmanagedCallersOnly method.
                if (!interop.Vocabulary.CompilationUses(InteropWords.NativeDeclaration | InteropWords.NativeCallable))
                {
                    return;
                }

                var callbacks = new NativeCallbacks(interop);
                var origins = new ThrowOrigins(interop);

                // One analysis and at most one finding per callback, even when many types hand the same method over (TorchSharp
                // passes 'PinnedArray.CreateArray' to native functions from 14 files): the first type to reach it claims it.
                var claimed = ConcurrentTables.Create<SyntaxNode, bool>();

                // Reported from the hand-over itself: what is reported, and the hand-over the message names, depend only on the
                // callback's declaration and on all of the compilation's hand-overs (Report), so nothing waits for a type to
                // finish. A per-type start and end (the earlier shape) made the driver build its per-symbol action sets for
                // every type of every binding: 12 MB allocated at 400 synthetic files, more than the rule's own work.
                start.RegisterOperationAction(
                    operation =>
                    {
                        var invocation = (IInvocationOperation)operation.Operation;
                        if (!MayHandOverCallback(invocation.TargetMethod))
                        {
                            return;
                        }

                        var scope = interop.ForTree(operation.Operation.Syntax.SyntaxTree);
                        var found = callbacks.HandedOverBy(invocation, scope, operation.CancellationToken).ToList();
                        if (found.Count > 0)
                        {
                            Report(interop, callbacks, origins, found, claimed, operation.Compilation, operation.ReportDiagnostic, operation.CancellationToken);
                        }
                    },
                    OperationKind.Invocation);

                // An [UnmanagedCallersOnly] method names the attribute (or an alias of it) somewhere in the compilation: a
                // binding that only passes delegates to native functions (TorchSharp) reads no method's attributes.
                if (!interop.Vocabulary.CompilationUses(InteropWords.NativeCallable))
                {
                    return;
                }

                start.RegisterSymbolAction(
                    symbol =>
                    {
                        var method = (IMethodSymbol)symbol.Symbol;
                        if (!NativeCallbacks.IsUnmanagedCallersOnly(method))
                        {
                            return;
                        }

                        var found = new List<NativeCallback>();
                        foreach (var reference in method.DeclaringSyntaxReferences)
                        {
                            if (reference.GetSyntax(symbol.CancellationToken) is MethodDeclarationSyntax declaration && (declaration.Body != null || declaration.ExpressionBody != null))
                            {
                                found.Add(new NativeCallback(declaration, NativeCallbacks.UnmanagedCallersOnly, declaration.Identifier.GetLocation()));
                            }
                        }

                        Report(interop, callbacks, origins, found, claimed, symbol.Compilation, symbol.ReportDiagnostic, symbol.CancellationToken);
                    },
                    SymbolKind.Method);
            });
        }

        private static bool MayHandOverCallback(IMethodSymbol method) => NativeCallbacks.MayHandOverCallback(method);

        private static void Report(
            InteropContext interop,
            NativeCallbacks callbacks,
            ThrowOrigins origins,
            IEnumerable<NativeCallback> found,
            ConcurrentDictionary<SyntaxNode, bool> claimed,
            Compilation compilation,
            System.Action<Diagnostic> report,
            System.Threading.CancellationToken cancellationToken)
        {
            foreach (var group in found.GroupBy(c => c.Declaration))
            {
                cancellationToken.ThrowIfCancellationRequested();

                // Whether and how a callback is reported depends on its declaration and on all of the compilation's
                // hand-overs, not on which type's analysis gets here first, so the other types have nothing to add.
                if (!claimed.TryAdd(group.Key, true) || GeneratedCode.IsGenerated(group.Key.SyntaxTree, cancellationToken))
                {
                    continue;
                }

                var declaration = group.Key;
                var tree = declaration.SyntaxTree;
#pragma warning disable RS1030 // Callbacks are found across trees; each body is analyzed once, here.
                var model = compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
                var (body, isAsync) = BodyOf(model.GetOperation(declaration, cancellationToken));
                if (body == null)
                {
                    continue;
                }

                var scope = interop.ForTree(tree);
                // An async callback's first await is where its native caller stops waiting, so that is the throw to name there.
                // An async callback is its own case whatever throws: its native caller has stopped waiting at the first await.
                IOperation? escaping;
                ThrowOriginSummary? origin = null;
                if (isAsync)
                {
                    escaping = new EscapingExceptions(new ThrowPoints(interop, scope.Catalogue, everyFailure: true, depth: 0), interop.Types.Exception).FirstEscaping(body);
                }
                else
                {
                    origin = origins.Summarize(body, scope.Catalogue);
                    escaping = origin.LikeliestOwn ?? origin.FirstForwarded;
                }

                if (escaping == null)
                {
                    continue;
                }

                // This type's hand-overs are only the ones its own analysis saw; another type may hand the same callback
                // over and be analyzed before or after it. Name the first of all the compilation's hand-overs, so the
                // message is the same whichever type concurrent analysis finishes first.
                var first = First(group.Any(c => c.Caller == NativeCallbacks.UnmanagedCallersOnly)
                    ? group
                    : group.Concat(callbacks.AllHandOversOf(declaration, cancellationToken)));
                var how = first.Caller == NativeCallbacks.UnmanagedCallersOnly
                    ? "is [UnmanagedCallersOnly]"
                    : first.Caller == "Marshal.GetFunctionPointerForDelegate"
                        ? "is turned into a native function pointer by 'Marshal.GetFunctionPointerForDelegate'"
                        : "is called by native function '" + first.Caller + "'";
                var consequence = isAsync
                    ? "in an async callback: the native caller resumes at the first await, and an exception after it terminates the process where no caller can catch it"
                    : "outside a catch-all: an exception escaping to native code terminates the process";
                var properties = isAsync ? ImmutableDictionary<string, string?>.Empty.Add(AsyncProperty, "true") : ImmutableDictionary<string, string?>.Empty;
                if (origin is { LikeliestOwn: null, ForwardedTo: { } forwardedTo })
                {
                    report(Diagnostic.Create(
                        Descriptors.CallbackForwardsException,
                        LocationOf(declaration),
                        properties,
                        NameOf(declaration),
                        how,
                        Describe(escaping.Syntax),
                        forwardedTo));
                    continue;
                }

                // A call of the library's own code is named with the operation inside it where the exception starts, so
                // a reader can judge the throw without opening the chain of helpers.
                // The user's code it also runs is named beside it: that escape is real whether or not the own throw can happen.
                if (origin?.LikeliestOwn != null && origins.ForwardedBeside(body, origin, scope.Catalogue) is { } beside)
                {
                    consequence = ", as may '" + Describe(beside.Operation.Syntax) + "'" + (beside.Method == null ? "" : " in '" + MethodName(beside.Method) + "'")
                                  + ", which " + beside.Target + ", " + consequence;
                }

                if (origin?.LikeliestOwn != null && origins.Inside(escaping, scope.Catalogue) is { } source)
                {
                    consequence = "('" + Describe(source.Operation.Syntax, MaxInnerOperationText) + "' in '" + MethodName(source.Method) + "')" + (consequence[0] == ',' ? "" : " ") + consequence;
                }
                else if (consequence[0] == ',')
                {
                    consequence = consequence.Substring(2);
                }

                report(Diagnostic.Create(
                    Descriptors.CallbackException,
                    LocationOf(declaration),
                    properties,
                    NameOf(declaration),
                    how,
                    Describe(escaping.Syntax),
                    consequence));
            }
        }

        /// <summary>The first hand-over in a stable order: [UnmanagedCallersOnly] first, then by file, position and function.</summary>
        private static NativeCallback First(IEnumerable<NativeCallback> handOvers)
            => handOvers
                .OrderBy(c => c.Caller == NativeCallbacks.UnmanagedCallersOnly ? 0 : 1)
                .ThenBy(c => c.CallSite.SourceTree?.FilePath, System.StringComparer.Ordinal)
                .ThenBy(c => c.CallSite.SourceSpan.Start)
                .ThenBy(c => c.CallSite.SourceSpan.End)
                .ThenBy(c => c.Caller, System.StringComparer.Ordinal)
                .First();

        private static (IOperation? Body, bool IsAsync) BodyOf(IOperation? operation)
            => operation switch
            {
                IMethodBodyOperation method => (method, IsAsync(method.SemanticModel, method.Syntax)),
                ILocalFunctionOperation local => (local.Body ?? local.IgnoredBody, local.Symbol.IsAsync),
                IAnonymousFunctionOperation lambda => (lambda.Body, lambda.Symbol.IsAsync),
                _ => (null, false),
            };

        private static bool IsAsync(SemanticModel? model, SyntaxNode syntax)
            => model?.GetDeclaredSymbol(syntax) is IMethodSymbol { IsAsync: true };

        internal static Location LocationOf(SyntaxNode declaration)
            => declaration switch
            {
                MethodDeclarationSyntax method => method.Identifier.GetLocation(),
                LocalFunctionStatementSyntax local => local.Identifier.GetLocation(),
                LambdaExpressionSyntax lambda => lambda.ArrowToken.GetLocation(),
                AnonymousMethodExpressionSyntax anonymous => anonymous.DelegateKeyword.GetLocation(),
                _ => declaration.GetLocation(),
            };

        private static string NameOf(SyntaxNode declaration)
            => declaration switch
            {
                MethodDeclarationSyntax method => method.Identifier.ValueText,
                LocalFunctionStatementSyntax local => local.Identifier.ValueText,
                SimpleLambdaExpressionSyntax simple => simple.Parameter.Identifier.ValueText + " => …",
                ParenthesizedLambdaExpressionSyntax parenthesized => Compact(parenthesized.ParameterList.ToString()) + " => …",
                _ => "delegate { … }",
            };

        private static string MethodName(IMethodSymbol method)
            => method.MethodKind switch
            {
                MethodKind.Constructor => "new " + method.ContainingType.Name,
                MethodKind.PropertyGet or MethodKind.PropertySet => (method.AssociatedSymbol as IPropertySymbol) is { IsIndexer: true } ? "this[]" : method.AssociatedSymbol?.Name ?? method.Name,
                MethodKind.Conversion or MethodKind.UserDefinedOperator => method.ContainingType.Name + "." + method.Name,

                // 'RealmDictionary.NotifyCallbacks', not the metadata name 'Realms.INotifiable<…>.NotifyCallbacks': which of an
                // internal interface's implementations throws is what the reader looks for.
                MethodKind.ExplicitInterfaceImplementation when method.ExplicitInterfaceImplementations.Length > 0
                    => method.ContainingType.Name + "." + method.ExplicitInterfaceImplementations[0].Name,
                _ => method.Name,
            };

        private static string Describe(SyntaxNode syntax, int maxLength = MaxOperationText)
        {
            // 'handler?.Invoke(code)', not '.Invoke(code)'.
            while (syntax.Parent is ConditionalAccessExpressionSyntax access && access.WhenNotNull == syntax)
            {
                syntax = access;
            }

            var text = Compact(syntax.ToString()).TrimEnd(';');
            if (text.Length > maxLength && syntax is InvocationExpressionSyntax call)
            {
                text = Compact(call.Expression.ToString()) + "(…)";
            }
            else if (text.Length > maxLength && ((syntax as ThrowStatementSyntax)?.Expression ?? (syntax as ThrowExpressionSyntax)?.Expression) is ObjectCreationExpressionSyntax thrown)
            {
                // 'throw new LuaException(…)': the exception's type says more than the start of its message.
                text = "throw new " + Compact(thrown.Type.ToString()) + "(…)";
            }

            return text.Length <= maxLength ? text : text.Substring(0, maxLength - 1) + "…";
        }

        private static string Compact(string text) => Regex.Replace(text, @"\s+", " ").Trim();
    }
}
