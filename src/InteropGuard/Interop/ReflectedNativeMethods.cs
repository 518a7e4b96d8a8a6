using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// A delegate a binding makes by reflection over its own P/Invokes: <c>(Func&lt;IntPtr, IntPtr&gt;)methods.Single(m =&gt;
    /// m.Name == "rd_kafka_topic_partition_list_new").CreateDelegate(typeof(Func&lt;IntPtr, IntPtr&gt;))</c>, where
    /// <c>methods</c> are the runtime methods of the <c>NativeMethods</c> class the platform picks (confluent-kafka-dotnet
    /// from 2020). Invoking it calls the method of that name, so it can be read as that P/Invoke.
    /// </summary>
    /// <remarks>
    /// The method is found by its constant name only: <c>Single</c>/<c>First</c>(<c>OrDefault</c>) with a predicate
    /// <c>m =&gt; m.Name == "name"</c>, or <c>GetMethod("name", ...)</c>, <c>GetRuntimeMethod("name", ...)</c>,
    /// <c>GetDeclaredMethod("name")</c>; the delegate by <c>MethodInfo.CreateDelegate</c> or
    /// <c>Delegate.CreateDelegate(type, method)</c>. Which class the methods come from is a run-time value (a <c>Type</c>
    /// parameter, a list of candidates), so it is not followed: instead every method of that name the compilation declares
    /// must be a native function, all of one entry point and of as many parameters as the delegate type's <c>Invoke</c>
    /// (the platform classes declare the same P/Invoke once each). A managed method of the same name, two entry points, or
    /// a name that is not constant, and nothing is read.
    /// </remarks>
    internal static class ReflectedNativeMethods
    {
        /// <summary>The native function <paramref name="value"/> makes a delegate of by reflection, or null.</summary>
        public static NativeFunction? Of(IOperation value, INamedTypeSymbol? delegateType, InteropContext context)
        {
            if (delegateType?.DelegateInvokeMethod is not { } invoke
                || OperationTree.SkipConversions(value) is not IInvocationOperation { TargetMethod.Name: "CreateDelegate" } creation
                || MethodInfoOf(creation) is not { } methodInfo
                || NameLookedUp(methodInfo) is not { } name)
            {
                return null;
            }

            NativeFunction? found = null;
            foreach (var symbol in context.Compilation.GetSymbolsWithName(name, SymbolFilter.Member))
            {
                if (symbol is not IMethodSymbol method || context.NativeFunctions.Get(method) is not { } native
                    || native.Method.Parameters.Length != invoke.Parameters.Length
                    || (found != null && found.EntryPoint != native.EntryPoint))
                {
                    return null;
                }

                found ??= native;
            }

            return found;
        }

        // 'info.CreateDelegate(typeof(D))' / 'info.CreateDelegate<D>()', or 'Delegate.CreateDelegate(typeof(D), info)'.
        private static IOperation? MethodInfoOf(IInvocationOperation creation)
        {
            var method = creation.TargetMethod;
            if (creation.Instance != null && IsType(method.ContainingType, "System.Reflection", "MethodInfo"))
            {
                return creation.Instance;
            }

            return method.IsStatic && IsType(method.ContainingType, "System", "Delegate") && creation.Arguments.Length == 2
                   && creation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1) is { } argument
                ? argument.Value
                : null;
        }

        /// <summary>The constant name the method info was looked up by, or null.</summary>
        private static string? NameLookedUp(IOperation methodInfo)
        {
            if (OperationTree.SkipConversions(methodInfo) is not IInvocationOperation lookup)
            {
                return null;
            }

            var method = lookup.TargetMethod;
            switch (method.Name)
            {
                case "Single" or "SingleOrDefault" or "First" or "FirstOrDefault" when IsType(method.ContainingType, "System.Linq", "Enumerable"):
                    return lookup.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1)?.Value is { } predicate ? NameCompared(predicate) : null;
                case "GetMethod" when IsType(method.ContainingType, "System", "Type"):
                case "GetRuntimeMethod" when IsType(method.ContainingType, "System.Reflection", "RuntimeReflectionExtensions"):
                case "GetDeclaredMethod" when IsType(method.ContainingType, "System.Reflection", "TypeInfo"):
                    var nameParameter = method.IsExtensionMethod || (method.IsStatic && lookup.Instance == null) ? 1 : 0;
                    return lookup.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == nameParameter)?.Value.ConstantValue is { HasValue: true, Value: string constant }
                        ? constant
                        : null;
                default:
                    return null;
            }
        }

        // 'm => m.Name == "name"' (either side): the one comparison the lambda's body returns.
        private static string? NameCompared(IOperation predicate)
        {
            if (OperationTree.SkipConversions(predicate) is IDelegateCreationOperation creation)
            {
                predicate = creation.Target;
            }

            if (predicate is not IAnonymousFunctionOperation { Symbol.Parameters.Length: 1 } lambda
                || lambda.Body.Operations.Length != 1
                || lambda.Body.Operations[0] is not IReturnOperation { ReturnedValue: IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } comparison })
            {
                return null;
            }

            string? NameOf(IOperation side, IOperation other)
                => OperationTree.SkipConversions(side) is IPropertyReferenceOperation { Property.Name: "Name", Instance: IParameterReferenceOperation parameter }
                   && SymbolEqualityComparer.Default.Equals(parameter.Parameter, lambda.Symbol.Parameters[0])
                   && other.ConstantValue is { HasValue: true, Value: string constant }
                    ? constant
                    : null;

            return NameOf(comparison.LeftOperand, comparison.RightOperand) ?? NameOf(comparison.RightOperand, comparison.LeftOperand);
        }

        private static bool IsType(INamedTypeSymbol? type, string ns, string name)
            => type != null && type.Name == name && NamespaceNames.Is(type.ContainingNamespace, ns);
    }
}
