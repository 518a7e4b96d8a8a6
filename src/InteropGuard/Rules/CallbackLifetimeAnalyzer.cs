using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Flow;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Rules
{
    /// <summary>
    /// IG1002: a delegate handed to a retaining native function (directly or through a managed wrapper), or turned
    /// into a function pointer with <c>Marshal.GetFunctionPointerForDelegate</c>, that nothing keeps reachable for as
    /// long as native code can call it.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class CallbackLifetimeAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property: "true" when the delegate refers to <c>this</c>, so the field must be an instance field.</summary>
        internal const string UsesInstanceProperty = "UsesInstance";

        private const string BeyondTheMethod = "after the method returns";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CallbackDelegateCollected);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.For(start.Compilation, start.Options);

                // A delegate reaches native code through a native function declared here or as a function pointer.
                if (!interop.Vocabulary.CompilationUses(InteropWords.NativeDeclaration | InteropWords.NativeCallable))
                {
                    return;
                }

                var reachabilities = ConcurrentTables.Create<InteropScope, DelegateReachability>();
                var tables = ConcurrentTables.Create<ITypeSymbol, bool>(SymbolEqualityComparer.Default);
                start.RegisterOperationAction(operation => AnalyzeInvocation(interop, reachabilities, tables, operation), OperationKind.Invocation);
                var pointerTables = ConcurrentTables.Create<IParameterSymbol, bool>(SymbolEqualityComparer.Default);
                start.RegisterOperationAction(operation => AnalyzeCreation(interop, reachabilities, pointerTables, operation), OperationKind.ObjectCreation);
            });
        }

        private static void AnalyzeInvocation(InteropContext interop, ConcurrentDictionary<InteropScope, DelegateReachability> reachabilities, ConcurrentDictionary<ITypeSymbol, bool> tables, OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var method = invocation.TargetMethod;

            // Cheap gate: only calls taking a delegate, or a struct of delegates (a callback table) if the method is native, or
            // the pointer conversion, can be findings. The struct test first: it is cached per type, and few structs hold
            // delegates, so most calls of a binding (whose functions take points, sizes, rectangles) are not looked up in
            // the native table. (A class holding delegates given to a native function is no finding: the callback-table
            // reading below takes only structs.)
            var isPointerConversion = interop.Types.IsDelegatePointerConversion(method);
            var isStructureCopy = method.Name == "StructureToPtr" && SymbolEqualityComparer.Default.Equals(method.ContainingType, interop.Types.Marshal);
            var parameters = method.Parameters;
            if (!isPointerConversion && !isStructureCopy && !parameters.Any(p => p.Type.TypeKind == TypeKind.Delegate)
                && !(TakesCallbackTable(parameters, tables) && interop.NativeFunctions.Get(method) != null))
            {
                return;
            }

            var scope = interop.ForTree(invocation.Syntax.SyntaxTree);
            var reachability = ReachabilityIn(interop, reachabilities, scope);
            if (isPointerConversion)
            {
                if (invocation.Arguments.Length == 1)
                {
                    AnalyzePointerConversion(interop, scope, reachability, invocation, context);
                }

                return;
            }

            foreach (var argument in invocation.Arguments)
            {
                // StructureToPtr takes the struct as object (or T): what counts is the type of the value given.
                var given = isStructureCopy ? OperationTree.SkipConversions(argument.Value).Type : argument.Parameter?.Type;
                if (argument.Parameter != null && given != null && MayHoldDelegates(given) && HoldsDelegates(tables, given))
                {
                    AnalyzeCallbackTable(interop, scope, reachability, tables, invocation, argument, context);
                    continue;
                }

                if (argument.Parameter?.Type.TypeKind != TypeKind.Delegate)
                {
                    continue;
                }

                var target = RetainingTarget(interop, scope, reachability, invocation, argument.Parameter);
                if (target == null)
                {
                    continue;
                }

                if (OperationTree.SkipConversions(argument.Value) is IParameterReferenceOperation parameter)
                {
                    AnalyzeCallersDelegate(reachability, context, invocation, parameter, target);
                    continue;
                }

                var candidate = Candidate.For(argument.Value, reachability);
                if (candidate == null || !candidate.IsAllocated())
                {
                    continue;
                }

                if (candidate.Local != null
                    && (IsKeptThrough(reachability, context, invocation, candidate.Root, candidate.Local, candidate.Reference!)
                        || IsKeptAliveAfter(reachability, context, invocation, candidate.Local)))
                {
                    continue;
                }

                context.ReportDiagnostic(candidate.Report("is registered with " + target, BeyondTheMethod));
            }
        }

        // The three below are apart from the callbacks: a lambda there that captures one of their parameters makes its
        // closure on entry, for every call and creation of the compilation, where most need none.

        /// <summary>Does one of the parameters take a struct of delegates (a callback table)?</summary>
        private static bool TakesCallbackTable(ImmutableArray<IParameterSymbol> parameters, ConcurrentDictionary<ITypeSymbol, bool> tables)
        {
            foreach (var parameter in parameters)
            {
                if (MayHoldDelegates(parameter.Type) && HoldsDelegates(tables, parameter.Type))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The options scope's delegate reachability, made at its first ask.</summary>
        private static DelegateReachability ReachabilityIn(InteropContext interop, ConcurrentDictionary<InteropScope, DelegateReachability> reachabilities, InteropScope scope)
            => reachabilities.TryGetValue(scope, out var reachability) ? reachability : reachabilities.GetOrAdd(scope, s => new DelegateReachability(interop, s));

        /// <summary><see cref="IsPointerTableParameter"/>, asked once per parameter.</summary>
        private static bool IsPointerTable(InteropContext interop, ConcurrentDictionary<IParameterSymbol, bool> pointerTables, IParameterSymbol parameter)
            => pointerTables.TryGetValue(parameter, out var isTable) ? isTable : pointerTables.GetOrAdd(parameter, p => IsPointerTableParameter(interop, p));

        /// <summary>
        /// A delegate the method received as a parameter and registers with a retaining native function without keeping it
        /// (<c>public void SetAudioCallbacks(PlayCb play, ...) =&gt; Native.libvlc_audio_set_callbacks(_player, play, ...)</c>).
        /// In a method callers outside the compilation can reach, this is the last code of the binding that sees the
        /// delegate: its caller has no reason to know that native code keeps it, and the binding's fix stores it in a
        /// field. Methods only this compilation calls stay silent: their call sites are judged where the delegate is made.
        /// </summary>
        private static void AnalyzeCallersDelegate(DelegateReachability reachability, OperationAnalysisContext context, IInvocationOperation invocation, IParameterReferenceOperation reference, string target)
        {
            var parameter = reference.Parameter;
            var root = OperationTree.Root(reference);
            if (!(parameter.ContainingSymbol is IMethodSymbol method) || !DelegateReachability.IsLeftToCallersOutside(parameter)
                || OperationTree.IsInNestedFunction(reference, root)
                || IsKeptThrough(reachability, context, invocation, root, parameter, reference)
                || IsKeptAliveAfter(reachability, context, invocation, parameter))
            {
                return;
            }

            ReportCallersDelegate(context, method, parameter, reference, "is registered with " + target);
        }

        /// <summary>A struct with delegate fields (a callback table, a WNDCLASS): marshalled, each field becomes a function pointer.</summary>
        private static bool HoldsDelegates(ConcurrentDictionary<ITypeSymbol, bool> tables, ITypeSymbol type)
        {
            if (type is IPointerTypeSymbol pointer)
            {
                type = pointer.PointedAtType;
            }

            // Asked at every call with a struct parameter: each type's fields are looked at once per compilation.
            return tables.GetOrAdd(type, t => t.GetMembers().Any(m => m is IFieldSymbol { IsStatic: false } field && field.Type.TypeKind == TypeKind.Delegate));
        }

        private static bool MayHoldDelegates(ITypeSymbol type)
        {
            if (type is IPointerTypeSymbol pointer)
            {
                type = pointer.PointedAtType;
            }

            return type.TypeKind == TypeKind.Struct && type.SpecialType == SpecialType.None;
        }

        /// <summary>
        /// A local struct whose delegate fields this method fills, copied into native memory by <c>Marshal.StructureToPtr</c>
        /// or given to a native function that keeps it (<c>RegisterClassEx(ref wc)</c>, <c>mylib_set_callbacks(ctx, ref table)</c>):
        /// native code holds function pointers to delegates that only the local struct references. Reported on each
        /// allocated delegate stored into the struct, when nothing but those stores and this call uses the struct (any other
        /// use — a field store, a KeepAlive, a later read — may keep it, and the rule stays silent).
        /// </summary>
        private static void AnalyzeCallbackTable(InteropContext interop, InteropScope scope, DelegateReachability reachability, ConcurrentDictionary<ITypeSymbol, bool> tables, IInvocationOperation invocation, IArgumentOperation argument, OperationAnalysisContext context)
        {
            string whatHappens;
            var method = invocation.TargetMethod;
            if (method.Name == "StructureToPtr" && SymbolEqualityComparer.Default.Equals(method.ContainingType, interop.Types.Marshal))
            {
                whatHappens = "is stored in '{0}', which 'Marshal.StructureToPtr' copies into native memory,";
            }
            else if (interop.NativeFunctions.Get(method) is { } native && scope.Keeps(native, argument.Parameter!))
            {
                whatHappens = "is stored in '{0}' and registered with '" + native + "'";
            }
            else
            {
                return;
            }

            var value = OperationTree.SkipConversions(argument.Value);
            if (value is IAddressOfOperation address)
            {
                value = OperationTree.SkipConversions(address.Reference);
            }

            if (!(value is ILocalReferenceOperation table) || table.Local.IsRef)
            {
                return;
            }

            var root = OperationTree.Root(value);
            var stores = new List<IOperation>();
            foreach (var operation in root.Descendants())
            {
                if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, table.Local) && reference != table)
                {
                    if (reference.Parent is IFieldReferenceOperation { Parent: ISimpleAssignmentOperation assignment } field
                        && assignment.Target == field && field.Field.Type.TypeKind == TypeKind.Delegate)
                    {
                        stores.Add(assignment.Value);
                    }
                    else if (reference.Parent is IFieldReferenceOperation { Parent: ISimpleAssignmentOperation plain } written
                             && plain.Target == written && !(MayHoldDelegates(written.Field.Type) && HoldsDelegates(tables, written.Field.Type)))
                    {
                        // info.class_size = ...: filling the table's other fields writes into it and reads nothing out
                        // of it (GtkSharp's GTypeInfo is filled field by field around its class_init delegate).
                    }
                    else if (!(reference.Parent is ISimpleAssignmentOperation whole && whole.Target == reference) && !reference.IsDeclaration)
                    {
                        return;
                    }
                }
                else if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, table.Local)
                         && declarator.GetVariableInitializer()?.Value is { } initial)
                {
                    AddInitializedDelegates(initial, stores);
                }
                else if (operation is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment
                         && SymbolEqualityComparer.Default.Equals(target.Local, table.Local))
                {
                    AddInitializedDelegates(assignment.Value, stores);
                }
            }

            foreach (var store in stores)
            {
                var candidate = Candidate.For(store, reachability);
                if (candidate == null || !candidate.IsAllocated()
                    || (candidate.Local != null && (reachability.IsKept(candidate.Root, candidate.Local, candidate.Reference) || IsKeptAliveAfter(reachability, context, invocation, candidate.Local))))
                {
                    continue;
                }

                context.ReportDiagnostic(candidate.Report(string.Format(System.Globalization.CultureInfo.InvariantCulture, whatHappens, table.Local.Name), BeyondTheMethod));
            }
        }

        // new Table { OnRead = ..., OnWrite = ... }
        private static void AddInitializedDelegates(IOperation value, List<IOperation> stores)
        {
            if (OperationTree.SkipConversions(value) is IObjectCreationOperation { Initializer: { } initializer })
            {
                foreach (var member in initializer.Initializers)
                {
                    if (member is ISimpleAssignmentOperation { Target: IFieldReferenceOperation field } assignment && field.Field.Type.TypeKind == TypeKind.Delegate)
                    {
                        stores.Add(assignment.Value);
                    }
                }
            }
        }

        /// <summary>
        /// "'Native.f'", or "'Native.f' through 'Wrapper.M'" (a managed wrapper, a member of an interface the library's own
        /// facades implement, a delegate parameter every caller fills with such a call), when the argument given as
        /// <paramref name="parameter"/> reaches a retaining native function; else null.
        /// </summary>
        private static string? RetainingTarget(InteropContext interop, InteropScope scope, DelegateReachability reachability, IInvocationOperation invocation, IParameterSymbol parameter)
        {
            var method = invocation.TargetMethod;
            if (method.MethodKind == MethodKind.DelegateInvoke)
            {
                return invocation.Instance is { } instance && OperationTree.SkipConversions(instance) is IParameterReferenceOperation invoked
                       && InvokedFunction(interop, scope, reachability, invoked, parameter.Ordinal, 0) is { } reached
                    ? reached + " through '" + invoked.Parameter.Name + "'"
                    : null;
            }

            var function = RetainingFunction(interop, scope, reachability, method, parameter, 0);
            return function == null || interop.NativeFunctions.Get(method) != null || CataloguedRunTimeImports.Of(method, interop) != null
                ? function
                : function + " through '" + method.ContainingType?.Name + "." + method.Name + "'";
        }

        /// <summary>"'Native.f'" when the delegate given as <paramref name="parameter"/> of <paramref name="method"/> is registered with the retaining f; else null.</summary>
        private static string? RetainingFunction(InteropContext interop, InteropScope scope, DelegateReachability reachability, IMethodSymbol method, IParameterSymbol parameter, int depth)
        {
            var native = interop.NativeFunctions.Get(method);
            if (native != null)
            {
                return scope.Keeps(native, parameter) ? "'" + native + "'" : null;
            }

            if (method.IsAbstract && method.ContainingType?.TypeKind == TypeKind.Interface)
            {
                return FacadeFunction(interop, scope, reachability, method, parameter, depth);
            }

            if (method.IsAbstract && CataloguedRunTimeImports.Of(method, interop) is { } imported)
            {
                return scope.Keeps(imported, parameter) ? "'" + imported + "'" : null;
            }

            if (!WrapperSummaries.IsSourceMethodWithBody(method))
            {
                return null;
            }

            var summary = ParameterSummaries.Of(interop).Get(parameter, scope, 0);
            foreach (var (function, nativeParameter) in summary.NativeTargets.Targets)
            {
                if (nativeParameter.Type.TypeKind == TypeKind.Delegate && scope.Keeps(function, nativeParameter))
                {
                    // A wrapper that stores the delegate itself keeps it for as long as it keeps it registered.
                    return reachability.IsKeptByMethod(parameter, 0) ? null : "'" + function + "'";
                }
            }

            return null;
        }

        /// <summary>
        /// A member of an interface only this compilation implements (a platform binding's facades, one class per native
        /// library, each forwarding to its own P/Invoke): the registration every implementation makes, when each makes one.
        /// </summary>
        private static string? FacadeFunction(InteropContext interop, InteropScope scope, DelegateReachability reachability, IMethodSymbol member, IParameterSymbol parameter, int depth)
        {
            var implementations = depth < WrapperSummaries.MaxDepth ? ImplementedInterfaces.Of(interop).ImplementationsOf(member) : null;
            string? first = null;
            foreach (var implementation in implementations ?? (IReadOnlyList<IMethodSymbol>)System.Array.Empty<IMethodSymbol>())
            {
                if (RetainingFunction(interop, scope, reachability, implementation, implementation.Parameters[parameter.Ordinal], depth + 1) is not { } function)
                {
                    return null;
                }

                first ??= function;
            }

            return first;
        }

        /// <summary>
        /// <c>setter(lib, compare)</c> where <c>setter</c> is a delegate parameter of a private method: the registration every
        /// function its callers pass makes with its parameter <paramref name="ordinal"/> (<see cref="PassedFunctions"/>) —
        /// a lambda whose every use of that parameter is an argument registered with a retaining function, or a method group
        /// that registers it.
        /// </summary>
        private static string? InvokedFunction(InteropContext interop, InteropScope scope, DelegateReachability reachability, IParameterReferenceOperation invoked, int ordinal, int depth)
        {
            string? first = null;
            foreach (var passed in PassedFunctions.Of(interop).For(invoked.Parameter, OperationTree.Root(invoked)))
            {
                var function = passed switch
                {
                    IMethodReferenceOperation group when ordinal < group.Method.Parameters.Length
                        => RetainingFunction(interop, scope, reachability, group.Method, group.Method.Parameters[ordinal], depth + 1),
                    IAnonymousFunctionOperation lambda when ordinal < lambda.Symbol.Parameters.Length
                        => LambdaFunction(interop, scope, reachability, lambda, lambda.Symbol.Parameters[ordinal], depth + 1),
                    _ => null,
                };
                if (function == null)
                {
                    return null;
                }

                first ??= function;
            }

            return first;
        }

        // Every use of the lambda's parameter hands it to a retaining function: the lambda registers what it is given and keeps nothing.
        private static string? LambdaFunction(InteropContext interop, InteropScope scope, DelegateReachability reachability, IAnonymousFunctionOperation lambda, IParameterSymbol parameter, int depth)
        {
            string? first = null;
            foreach (var reference in lambda.Body.Descendants().OfType<IParameterReferenceOperation>())
            {
                if (!SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter))
                {
                    continue;
                }

                if (OperationTree.IsInNestedFunction(reference, lambda.Body)
                    || OperationTree.WithConversions(reference).Parent is not IArgumentOperation { Parent: IInvocationOperation call, Parameter: { } target }
                    || call.TargetMethod.MethodKind == MethodKind.DelegateInvoke
                    || RetainingFunction(interop, scope, reachability, call.TargetMethod, target, depth) is not { } function)
                {
                    return null;
                }

                first ??= function;
            }

            return first;
        }

        private static void AnalyzePointerConversion(InteropContext interop, InteropScope scope, DelegateReachability reachability, IInvocationOperation conversion, OperationAnalysisContext context)
        {
            if (OperationTree.SkipConversions(conversion.Arguments[0].Value) is IParameterReferenceOperation parameter)
            {
                AnalyzeCallersPointer(interop, scope, reachability, context, conversion, parameter);
                return;
            }

            AnalyzePointer(interop, scope, reachability, conversion.Arguments[0].Value, conversion, "is turned into a function pointer", context);
        }

        /// <summary>
        /// The caller's delegate turned into a function pointer that the binding keeps beyond the method (a field of the
        /// object, native memory) while nothing keeps the delegate: <c>public OutlineFuncs(MoveToFunc moveTo) { rec.moveTo =
        /// Marshal.GetFunctionPointerForDelegate(moveTo); }</c>. As for a registration (<see cref="AnalyzeCallersDelegate"/>),
        /// only in a method callers outside the compilation can reach: they hand over a delegate, not a pointer, and have
        /// no reason to know that only its pointer is kept. A pointer used only during the method stays silent.
        /// </summary>
        private static void AnalyzeCallersPointer(InteropContext interop, InteropScope scope, DelegateReachability reachability, OperationAnalysisContext context, IInvocationOperation conversion, IParameterReferenceOperation reference)
        {
            var parameter = reference.Parameter;
            var root = OperationTree.Root(reference);
            if (!(parameter.ContainingSymbol is IMethodSymbol method) || !DelegateReachability.IsLeftToCallersOutside(parameter)
                || OperationTree.IsInNestedFunction(reference, root)
                || FunctionPointerUses.Follow(interop, scope, conversion, root, out _) is not { Beyond: { } beyond }
                || reachability.IsKept(root, parameter, reference)
                || IsKeptAliveAfter(reachability, context, conversion, parameter))
            {
                return;
            }

            ReportCallersDelegate(context, method, parameter, reference, "is turned into a function pointer " + beyond);
        }

        // The caller's delegate, handed on as described by 'what', is kept by nothing of the method's type.
        private static void ReportCallersDelegate(OperationAnalysisContext context, IMethodSymbol method, IParameterSymbol parameter, IOperation reference, string what)
        {
            var properties = ImmutableDictionary.CreateBuilder<string, string?>();
            properties[UsesInstanceProperty] = method.IsStatic ? "false" : "true";
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.CallbackDelegateCollected,
                reference.Syntax.GetLocation(),
                properties.ToImmutable(),
                "The caller's delegate '" + parameter.Name + "'",
                what,
                "by '" + method.ContainingType?.Name + "' " + BeyondTheMethod));
        }

        /// <summary>
        /// <c>new DialogCallbacks(OnError, OnLogin, ...)</c>: a struct whose constructor turns delegate parameters into function
        /// pointers and keeps only the pointers (<see cref="IsPointerTableParameter"/>). The new struct goes where the pointers go.
        /// </summary>
        private static void AnalyzeCreation(InteropContext interop, ConcurrentDictionary<InteropScope, DelegateReachability> reachabilities, ConcurrentDictionary<IParameterSymbol, bool> pointerTables, OperationAnalysisContext context)
        {
            var creation = (IObjectCreationOperation)context.Operation;
            if (creation.Constructor == null || creation.Type?.IsValueType != true || !creation.Constructor.Parameters.Any(p => p.Type.TypeKind == TypeKind.Delegate))
            {
                return;
            }

            var scope = interop.ForTree(creation.Syntax.SyntaxTree);
            var reachability = ReachabilityIn(interop, reachabilities, scope);
            foreach (var argument in creation.Arguments)
            {
                if (argument.Parameter is { } parameter && parameter.Type.TypeKind == TypeKind.Delegate
                    && IsPointerTable(interop, pointerTables, parameter.OriginalDefinition))
                {
                    AnalyzePointer(interop, scope, reachability, argument.Value, creation, "is turned into a function pointer in '" + creation.Type.Name + "'", context);
                }
            }
        }

        /// <summary>
        /// A constructor parameter of a struct of this compilation whose only use is <c>Field = Marshal.GetFunctionPointerForDelegate(parameter)</c>
        /// on the struct itself (null checks aside): the struct keeps the pointer, never the delegate. Asked once per parameter.
        /// </summary>
        private static bool IsPointerTableParameter(InteropContext interop, IParameterSymbol parameter)
        {
            if (!(parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor)
                || !SymbolEqualityComparer.Default.Equals(constructor.ContainingAssembly, interop.Compilation.Assembly)
                || constructor.DeclaringSyntaxReferences.Length != 1)
            {
                return false;
            }

            var syntax = constructor.DeclaringSyntaxReferences[0].GetSyntax();
            if (!interop.Compilation.ContainsSyntaxTree(syntax.SyntaxTree))
            {
                return false;
            }

#pragma warning disable RS1030 // The constructor lives in another tree; its body is read once per parameter.
            var body = interop.Compilation.GetSemanticModel(syntax.SyntaxTree).GetOperation(syntax);
#pragma warning restore RS1030
            if (body == null)
            {
                return false;
            }

            var converted = false;
            foreach (var reference in body.Descendants().OfType<IParameterReferenceOperation>())
            {
                if (!SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter))
                {
                    continue;
                }

                var current = OperationTree.WithEveryConversion(reference);

                if (current.Parent is IArgumentOperation { Parent: IInvocationOperation conversion }
                    && interop.Types.IsDelegatePointerConversion(conversion.TargetMethod)
                    && conversion.Parent is ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Instance: IInstanceReferenceOperation } } store
                    && store.Value == conversion)
                {
                    converted = true;
                }
                else if (!(current.Parent is IBinaryOperation || current.Parent is IIsNullOperation || current.Parent is IIsPatternOperation || current.Parent is INameOfOperation))
                {
                    return false;
                }
            }

            return converted;
        }

        private static void AnalyzePointer(InteropContext interop, InteropScope scope, DelegateReachability reachability, IOperation delegateValue, IOperation pointer, string turned, OperationAnalysisContext context)
        {
            var candidate = Candidate.For(delegateValue, reachability);
            if (candidate == null || !candidate.IsAllocated())
            {
                return;
            }

            var pointerUses = FunctionPointerUses.Follow(interop, scope, pointer, candidate.Root, out var leavesCompilation);
            if (pointerUses == null)
            {
                // The pointer leaves what the analysis can read (a method of a referenced assembly such as `.ToInt64()`,
                // a delegate call, a call that does not bind): a delegate created right inside the conversion has no
                // other reference, so that pointer dangles as soon as the conversion returns. A delegate in a local may
                // be kept elsewhere, and a pointer going into this compilation's own methods may never be called: silent.
                if (leavesCompilation && candidate.IsTemporary)
                {
                    context.ReportDiagnostic(candidate.Report(turned + " that is passed on", "beyond the conversion"));
                }

                return;
            }

            var kept = candidate.Local != null && reachability.IsKept(candidate.Root, candidate.Local, candidate.Reference);
            if (pointerUses.Beyond != null)
            {
                if (!kept)
                {
                    context.ReportDiagnostic(candidate.Report(turned + " " + pointerUses.Beyond, BeyondTheMethod));
                }

                return;
            }

            if (kept)
            {
                return;
            }

            // Alive during each call that receives the pointer: a GC.KeepAlive reachable after each of the calls. The
            // message names the last one in the source among those no KeepAlive follows on any path.
            var local = candidate.Local;
            var unkept = pointerUses.Calls
                .Where(call => local == null || !IsKeptAliveAcross(reachability, context, call.Call, local))
                .OrderBy(call => call.Call.Syntax.Span.End)
                .LastOrDefault();
            if (unkept.Call != null)
            {
                context.ReportDiagnostic(candidate.Report(turned + " for '" + unkept.Function + "'", "until that call returns"));
            }
        }

        /// <summary>
        /// Is the delegate kept (stored, captured, handed on) on the runs that make the registration <paramref name="call"/>?
        /// Asked of the driver's graph of the body; any keeping reference counts where no graph can be built.
        /// </summary>
        private static bool IsKeptThrough(DelegateReachability reachability, OperationAnalysisContext context, IOperation call, IOperation root, ISymbol variable, IOperation reference)
            => reachability.IsKeptThrough(ControlFlowGraphs.HasGraph(root) ? context.GetControlFlowGraph() : null, root, variable, reference, call, context.CancellationToken);

        /// <summary>
        /// Is <c>GC.KeepAlive(local)</c> reached on every path after <paramref name="call"/>? Asked of the driver's graph
        /// of the body (built once per body, whichever rule asks); silent (true) where no graph can be built.
        /// </summary>
        private static bool IsKeptAliveAfter(DelegateReachability reachability, OperationAnalysisContext context, IOperation call, ISymbol local)
            => !ControlFlowGraphs.HasGraph(OperationTree.Root(call))
               || reachability.IsKeptAliveAfter(context.GetControlFlowGraph(), call, local, context.CancellationToken);

        /// <summary>Is <c>GC.KeepAlive(local)</c> reachable on some path after the synchronous <paramref name="call"/>? Silent (true) where no graph can be built.</summary>
        private static bool IsKeptAliveAcross(DelegateReachability reachability, OperationAnalysisContext context, IOperation call, ILocalSymbol local)
            => !ControlFlowGraphs.HasGraph(OperationTree.Root(call))
               || reachability.IsKeptAliveAcross(context.GetControlFlowGraph(), call, local, context.CancellationToken);

        /// <summary>
        /// The delegate expression at an argument: a creation in place, a <c>cond ? handler : null</c> choice among creations,
        /// the result of a helper method or property getter that allocates it (<see cref="DelegateReachability.ReturnedBy"/>), or a local
        /// holding any of these.
        /// </summary>
        private sealed class Candidate
        {
            private readonly IOperation _expression;
            private readonly List<IOperation> _values;
            private readonly DelegateReachability _reachability;

            private Candidate(IOperation expression, IOperation root, ILocalSymbol? local, IOperation? reference, List<IOperation> values, DelegateReachability reachability)
            {
                _expression = expression;
                Root = root;
                Local = local;
                Reference = reference;
                _values = DelegateReachability.FlattenConditionals(values);
                _reachability = reachability;
            }

            public IOperation Root { get; }
            public ILocalSymbol? Local { get; }
            public IOperation? Reference { get; }

            public static Candidate? For(IOperation argumentValue, DelegateReachability reachability)
            {
                var value = OperationTree.SkipConversions(argumentValue);
                var root = OperationTree.Root(value);
                switch (value)
                {
                    case IDelegateCreationOperation:
                    case IConditionalOperation { WhenFalse: not null }:
                    case IInvocationOperation:
                    case IPropertyReferenceOperation { Type.TypeKind: TypeKind.Delegate }:
                        return new Candidate(value, root, null, null, new List<IOperation> { value }, reachability);
                    case ILocalReferenceOperation reference when reference.Local.Type?.TypeKind == TypeKind.Delegate:
                        var values = DelegateReachability.ValuesOf(root, reference.Local);
                        return values == null ? null : new Candidate(value, root, reference.Local, reference, values, reachability);
                    default:
                        return null;
                }
            }

            public bool IsAllocated() => _values.Any(v => _reachability.LifetimeOf(v) == DelegateLifetime.Allocated);

            /// <summary>Created in place (<c>new D(M)</c>, a lambda, <c>c ? new D(M) : null</c>): nothing else can refer to it.</summary>
            public bool IsTemporary => Local == null && DelegateReachability.HelperOf(_expression) == null;

            public Diagnostic Report(string whatHappens, string howLong)
            {
                var allocated = _values.Where(v => _reachability.LifetimeOf(v) == DelegateLifetime.Allocated).ToList();
                var subject = Local != null ? "Delegate '" + Local.Name + "'" : Describe(allocated[0]);
                // The fix reads the delegate's type and the name of its field from the semantic model at the location.
                var properties = ImmutableDictionary.CreateBuilder<string, string?>();
                properties[UsesInstanceProperty] = allocated.Any(UsesInstance) ? "true" : "false";

                return Diagnostic.Create(Descriptors.CallbackDelegateCollected, _expression.Syntax.GetLocation(), properties.ToImmutable(), subject, whatHappens, howLong);
            }

            private static string Describe(IOperation value)
                => value switch
                {
                    IInvocationOperation call => "The delegate returned by '" + call.TargetMethod.ContainingType?.Name + "." + call.TargetMethod.Name + "'",
                    IPropertyReferenceOperation read => "The delegate returned by '" + read.Property.ContainingType?.Name + "." + read.Property.Name + "'",
                    _ => CallbackDelegates.Describe((IDelegateCreationOperation)value),
                };

            // A helper's delegate is bound to the helper's receiver: an instance field keeps it next to that receiver.
            private static bool UsesInstance(IOperation value)
                => value switch
                {
                    IInvocationOperation call => !call.TargetMethod.IsStatic && (call.Instance == null || call.Instance is IInstanceReferenceOperation),
                    IPropertyReferenceOperation read => !read.Property.IsStatic && (read.Instance == null || read.Instance is IInstanceReferenceOperation),
                    _ => CallbackDelegates.UsesInstance(value),
                };
        }
    }
}
